// feedTool decides which failure is the cause when a stream feeds a child's stdin. Real child processes; the
// source is an in-memory stream so that its failure can be placed exactly.
import { Readable } from 'node:stream';
import { DbrsError } from '@voicehive/db-core';
import { describe, expect, it } from 'vitest';
import { feedTool } from '../src/tools/feed.js';
import { spawnTool } from '../src/tools/spawn.js';
import { processGone } from './helpers/processes.js';

/** 64 MiB in 64 KiB chunks, far more than any pipe holds; optionally failing after `failAfter` chunks. */
function source(failAfter?: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter && sent === 16) return this.destroy(failAfter);
      this.push(sent++ < 1024 ? Buffer.alloc(65_536, 1) : null);
    },
  });
}

const sh = (script: string, signal?: AbortSignal) =>
  spawnTool('pg_restore', '/bin/sh', ['-c', script], { env: {}, stdin: 'pipe', stdout: 'ignore', signal });

describe('feedTool', () => {
  it('a tool that succeeded after reading only the start is a success (pg_restore --table)', async () => {
    const tool = sh('exec head -c 1000 >/dev/null');
    await expect(feedTool(tool, source(), { operation: 'restore' })).resolves.toBeUndefined();
  });

  it("the tool's failure is the cause, not the feed's broken pipe, and the caller names it", async () => {
    const tool = sh('head -c 1000 >/dev/null; echo "fatal: bad archive" >&2; exit 1');
    const err = await feedTool(tool, source(), {
      operation: 'restore',
      toolFailed: (e) => new DbrsError('RESTORE_FAILED', `Restore failed: ${(e as Error).message}`),
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'RESTORE_FAILED', message: expect.stringContaining('fatal: bad archive') });
  });

  it('a damaged source is the cause even though the tool then fails on the short stream; no child left', async () => {
    const tool = sh('cat >/dev/null; exit 1');
    const damaged = new DbrsError('INTEGRITY_FAILED', 'chunk 17 does not match its checksum');
    await expect(feedTool(tool, source(damaged), { operation: 'restore' })).rejects.toBe(damaged);
    expect(processGone(tool.child.pid)).toBe(true);
  });

  it('an abort stops a tool spawned without the signal at once (a psql blocked on a lock)', async () => {
    const ctl = new AbortController();
    // Reads nothing for 60 s: without the stop, the abort would wait for it. `exec`: the kill must reach the
    // sleeping process itself (a forked sleep would keep the stderr pipe open after its shell was killed).
    const tool = sh('exec sleep 60');
    const feeding = feedTool(tool, source(), { operation: 'restore', signal: ctl.signal });
    ctl.abort();
    const outcome = await Promise.race([
      feeding.then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      ),
      new Promise((r) => setTimeout(() => r('still waiting after 30 s'), 30_000)),
    ]);
    expect(outcome).toBe('ABORTED');
    expect(processGone(tool.child.pid)).toBe(true);
  });

  it('an abort mid-feed is ABORTED and stops the tool', async () => {
    const ctl = new AbortController();
    const tool = sh('sleep 1; cat >/dev/null', ctl.signal);
    const feeding = feedTool(tool, source(), { operation: 'restore', signal: ctl.signal });
    ctl.abort();
    await expect(feeding).rejects.toMatchObject({ code: 'ABORTED' });
    expect(processGone(tool.child.pid)).toBe(true);
  });
});
