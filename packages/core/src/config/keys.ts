import { DbrsError } from '../errors.js';
import { formatPath } from './path.js';
import { isPlainObject, type PlainObject, setOwn } from './plain-object.js';

/** `pool_min_size` → `poolMinSize`; camelCase keys pass through unchanged. */
export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, char: string) => char.toUpperCase());
}

/** `poolMinSize` → `pool_min_size`, to show a key as it is written in YAML. */
export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`);
}

/**
 * Deep copy with every mapping key in camelCase. YAML is snake_case like the
 * original system's file, code is camelCase, and both spellings are accepted
 * anywhere. Two spellings of one key in the same mapping are an error rather
 * than a silent pick, since either could be the one the user meant.
 */
export function camelCaseKeys(value: unknown, path: ReadonlyArray<PropertyKey> = []): unknown {
  if (Array.isArray(value)) return value.map((item, index) => camelCaseKeys(item, [...path, index]));
  if (!isPlainObject(value)) return value;
  const out: PlainObject = {};
  const spelledAs = new Map<string, string>();
  for (const [key, child] of Object.entries(value)) {
    const camel = snakeToCamel(key);
    const earlier = spelledAs.get(camel);
    if (earlier !== undefined) {
      throw new DbrsError(
        'CONFIG_INVALID',
        `Invalid configuration: ${formatPath([...path, camel])} is given twice, as "${earlier}" and "${key}".`,
        { details: { path: formatPath([...path, camel]), keys: [earlier, key] }, hint: 'Keep one of them.' },
      );
    }
    spelledAs.set(camel, key);
    setOwn(out, camel, camelCaseKeys(child, [...path, camel]));
  }
  return out;
}
