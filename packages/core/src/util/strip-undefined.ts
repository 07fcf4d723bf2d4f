/**
 * The object without its `undefined` members, so spreading user options over
 * defaults cannot replace a default with `undefined` (`{ ...defaults, ...opts }`
 * keeps explicit `undefined`s, which zod and our option readers treat as set).
 */
export function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
