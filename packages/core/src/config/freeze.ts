/**
 * Freezes a tree of plain objects and arrays. The config is shared by every
 * component of a process; a component changing it would change it for all
 * the others, so any assignment must fail loudly instead.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
