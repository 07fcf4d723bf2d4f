/** Helpers for the untyped trees that YAML, the environment and overrides produce. */

export type PlainObject = Record<string, unknown>;

/** A mapping (not an array, Date, Buffer or class instance). */
export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Sets an own property even for a key like `__proto__`: plain assignment
 * would change the prototype instead, letting a config file reach into
 * every object. Defined as an ordinary key, it is reported as unknown.
 */
export function setOwn(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
