import { DbrsError } from '@voicehive/db-core';

/**
 * Keys and metadata are validated the same way for every backend, so that an
 * object that can be stored on one can be stored (and found) on all of them.
 */

/** Segments containing this marker are reserved for the local adapter's temp files and sidecars. */
export const RESERVED_MARKER = '.dbrs-';

const MAX_KEY_BYTES = 1024;
// S3 allows 2 KiB of user metadata in total; Azure 8 KiB; GCS more. The smallest wins.
const MAX_METADATA_BYTES = 2048;
// Azure metadata names must be C# identifiers and S3 lowercases names, so only
// lowercase identifiers survive a round trip everywhere.
const METADATA_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const CONTROL = /[\x00-\x1f\x7f]/;

function invalidKey(key: string, why: string): DbrsError {
  return new DbrsError('INVALID_ARGUMENT', `Invalid storage key ${JSON.stringify(key)}: ${why}.`, {
    hint: 'Use a relative key of "/"-separated names such as "mydb/20260101T000000Z/dump.pgc".',
    details: { key },
  });
}

/** Throws DbrsError('INVALID_ARGUMENT') unless `key` is a safe, portable object key. */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw invalidKey(String(key), 'it must be a non-empty string');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalidKey(key, `it is longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/')) throw invalidKey(key, 'it must not start with "/"');
  if (key.endsWith('/')) throw invalidKey(key, 'it must not end with "/"');
  if (key.includes('\\')) throw invalidKey(key, 'it must not contain "\\"');
  if (CONTROL.test(key)) throw invalidKey(key, 'it must not contain control characters');
  for (const segment of key.split('/')) {
    if (segment === '') throw invalidKey(key, 'it must not contain an empty path segment ("//")');
    if (segment === '.' || segment === '..') throw invalidKey(key, 'it must not contain "." or ".." segments');
    if (segment.includes(RESERVED_MARKER)) throw invalidKey(key, `"${RESERVED_MARKER}" is reserved for internal files`);
  }
}

/** A list prefix may be empty (everything) or any key-like string; it may end with "/". */
export function validatePrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') {
    throw new DbrsError('INVALID_ARGUMENT', `Invalid list prefix ${String(prefix)}: it must be a string.`);
  }
  if (prefix === '') return;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (trimmed === '') throw invalidKey(prefix, 'a prefix must not be "/"; use "" to list everything');
  validateKey(trimmed);
}

export function validateMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  if (metadata === undefined) return {};
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name)) {
      throw new DbrsError('INVALID_ARGUMENT', `Invalid metadata name ${JSON.stringify(name)}.`, {
        hint: 'Metadata names must be lowercase identifiers (a-z, 0-9, _; starting with a letter) to be portable across S3, Azure and GCS.',
      });
    }
    if (typeof value !== 'string' || !PRINTABLE_ASCII.test(value)) {
      throw new DbrsError('INVALID_ARGUMENT', `Invalid value for metadata "${name}": it must be printable ASCII.`, {
        hint: 'Encode other text (for example with encodeURIComponent) before storing it as metadata.',
      });
    }
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `Object metadata is ${bytes} bytes; at most ${MAX_METADATA_BYTES} are portable.`,
      {
        hint: 'Store large descriptions in a separate object (such as the manifest) instead of metadata.',
      },
    );
  }
  return { ...metadata };
}

export interface ByteRange {
  start: number;
  end?: number;
}

export function validateRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new DbrsError('INVALID_ARGUMENT', `Invalid byte range start ${String(start)}: it must be an integer >= 0.`);
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `Invalid byte range end ${String(end)}: it must be an integer >= start (${start}).`,
    );
  }
}

/** "a/b" or "/a/b/" → "a/b/"; "" → "". Adapter prefixes are folders, so they always end with "/". */
export function normalizeRootPrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  validateKey(trimmed);
  return `${trimmed}/`;
}
