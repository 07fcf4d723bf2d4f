import { stat } from 'node:fs/promises';

/**
 * Which file a push stored, as `<name>.ok` records it: device, inode, size
 * and modification time (ns) of the file archive_command was given. A `.ok`
 * is keyed by the segment's name only, and a name can come back with other
 * content (an old cluster's spool reused after a restore on the same
 * timeline); the foreground trusts `.ok` only when this still matches a stat
 * of `%p`. Format `source <dev>:<ino>:<size>:<mtimeNs>` (suite/src/cli/wal-push-fast.ts
 * builds the same line without loading this package; its test checks they agree).
 */
export async function fileIdentity(path: string): Promise<string | undefined> {
  const s = await stat(path, { bigint: true }).catch(() => undefined);
  return s ? `source ${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}` : undefined;
}

/** True when the `.ok` text names exactly the file at `path` now. */
export async function okMatchesFile(okText: string, path: string): Promise<boolean> {
  const id = await fileIdentity(path);
  return id !== undefined && okText.split('\n').some((line) => line.trim() === id);
}
