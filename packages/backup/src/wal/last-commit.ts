import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { WalArchive } from './archive.js';
import { DEFAULT_SEGMENT_BYTES, parseWalName, segmentName, segmentNumber } from './names.js';

const execFileAsync = promisify(execFile);

/** How many segments back from the last one to look for a commit (an idle segment holds only a switch). */
const LOOK_BACK = 4;

/**
 * The commit time of the newest transaction in the archive up to
 * `lastSegment`, read with pg_waldump from the segment (and, when it holds
 * no commit, the ones before it). A time target is only confirmed by a
 * commit after it, so a moment drawn before this one is reachable; the
 * archive time of the last segment is not (archiving may lag the writes).
 * Undefined when no commit is found.
 */
export async function lastCommitTime(o: {
  archive: WalArchive;
  lastSegment: string;
  postgres: string;
  tempDir: string;
  segmentBytes?: number;
  signal?: AbortSignal;
}): Promise<Date | undefined> {
  const file = parseWalName(o.lastSegment);
  if (file?.kind !== 'segment') return undefined;
  const segBytes = o.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const last = segmentNumber(file, segBytes);
  const dir = await mkdtemp(join(o.tempDir, 'vhbk-waldump-'));
  try {
    for (let back = 0n; back < BigInt(LOOK_BACK) && last - back >= 0n; back++) {
      const name = segmentName(file.timeline, last - back, segBytes);
      const path = join(dir, name);
      try {
        await o.archive.fetch(name, path, { signal: o.signal });
      } catch {
        return undefined;
      }
      const found = newestCommit(await waldump(join(dirname(o.postgres), 'pg_waldump'), path, o.signal));
      await rm(path, { force: true });
      if (found) return found;
    }
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function waldump(tool: string, path: string, signal?: AbortSignal): Promise<string> {
  try {
    return (
      await execFileAsync(tool, ['--rmgr=Transaction', path], {
        env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
        maxBuffer: 64 << 20,
        timeout: 60_000,
        ...(signal ? { signal } : {}),
      })
    ).stdout;
  } catch (err) {
    // pg_waldump exits non-zero at the end of the valid records of a segment closed by a switch.
    return String((err as { stdout?: string }).stdout ?? '');
  }
}

function newestCommit(out: string): Date | undefined {
  let newest: Date | undefined;
  for (const m of out.matchAll(/desc: COMMIT (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) UTC/g)) {
    const t = new Date(`${m[1]}T${m[2]!.slice(0, 12)}Z`);
    if (!newest || t > newest) newest = t;
  }
  return newest;
}
