/**
 * Text → value rules shared by the environment layer and the schema. Both
 * must agree: `BACKUP_ENABLED=yes` and `enabled: ${BACKUP_ENABLED}` in YAML
 * have to mean the same thing.
 */

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', '1', 'yes']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no']);

/** The words accepted for booleans, for error messages. */
export const BOOLEAN_WORDS = 'true/false, yes/no or 1/0';

/** `true`/`false` for a recognised word (any case, surrounding spaces ignored), else undefined. */
export function parseBooleanText(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** A safe integer for plain decimal digits (optional leading minus), else undefined. */
export function parseIntegerText(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Splits `a, b,,c` into `['a', 'b', 'c']`: blanks are dropped so a trailing comma is harmless. */
export function parseListText(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
