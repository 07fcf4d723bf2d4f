import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { reaper } from '@voicehive/db-core/internal';
import { requireComponent } from '@voicehive/db-testing';
import { describe, expect, it } from 'vitest';
import { programStream } from '../src/pipeline/compression.js';
import { gatedOutput } from '../src/tools/exit-gate.js';
import { spawnTool } from '../src/tools/spawn.js';
import { zstdPipe } from '../src/tools/zstd-pipe.js';
import { hasZstd, processGone } from './helpers/processes.js';

/** A producer of incompressible bytes that backpressure keeps running: only a kill ends it (exec: the kill reaches the writer). */
const NOISE = ['-c', 'exec head -c 1000000000 /dev/urandom'];

/** Waits (bounded) until nobody-reads-it backpressure holds `stream` full, so its source is paused with output unread. */
async function untilFull(stream: Readable): Promise<void> {
  for (let i = 0; i < 1000 && stream.readableLength < stream.readableHighWaterMark; i++) await sleep(10);
  expect(stream.readableLength).toBeGreaterThanOrEqual(stream.readableHighWaterMark);
}

/** A hang detector, not a timing threshold: stop() either reaps or never returns. */
async function settles(p: Promise<void>): Promise<string> {
  return Promise.race([p.then(() => 'reaped'), sleep(30_000).then(() => 'still waiting after 30 s')]);
}

// Found by CI: pg_dump killed, the consumer gave up, and stop() waited for a 'close' that a paused pipe with
// unread output never sends. The backup never returned and kept its lock.
describe('stop() reaps a child whose output nobody reads any more', () => {
  // The order CI met: the child exits while its reader is paused by backpressure (Node resumes an exited child's
  // pipes, but the pipe's next write pauses it again), and only then the reader is destroyed.
  it('reaper: the child exited first, then its reader gave up', async () => {
    const child = spawn('/bin/sh', ['-c', 'exec head -c 120000 /dev/urandom'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = reaper(child);
    const reader = new PassThrough();
    child.stdout!.pipe(reader);
    await once(child, 'exit');
    reader.destroy();
    expect(await settles(stop())).toBe('reaped');
    expect(child.exitCode).toBe(0);
  });

  it('spawnTool: the consumer of its stdout gave up', async () => {
    const tool = spawnTool('pg_dump', '/bin/sh', NOISE, { env: {} });
    const out = gatedOutput(tool);
    await untilFull(out);
    out.destroy();
    expect(await settles(tool.stop())).toBe('reaped');
    expect(processGone(tool.child.pid)).toBe(true);
    await expect(tool.exited).rejects.toMatchObject({ code: 'TOOL_FAILED' });
  });

  describe.skipIf(!requireComponent('zstd', hasZstd, 'apt-get install zstd'))('with zstd', () => {
    // The reverse order (reader destroyed, then zstd killed) also ends: kept so both orders stay covered.
    it('zstdPipe: the producer was killed while zstd output sat unread', async () => {
      const pipe = zstdPipe('zstd', 1);
      const producer = spawnTool('pg_dump', '/bin/sh', NOISE, { env: {}, stdout: pipe.stdin });
      pipe.attach(producer);
      await untilFull(pipe.output);
      await producer.stop();
      expect(await settles(pipe.stop())).toBe('reaped');
      expect(pipe.output.destroyed).toBe(true);
    });

    it('programStream: destroyed while the compressor had output unread', async () => {
      const zstd = programStream('zstd', ['-1', '-c']);
      const feeder = spawnTool('pg_dump', '/bin/sh', NOISE, { env: {} });
      feeder.child.stdout!.pipe(zstd);
      await untilFull(zstd);
      const destroyed = new Promise<void>((resolve) => zstd.once('close', () => resolve()));
      zstd.destroy();
      expect(await settles(destroyed)).toBe('reaped');
      await feeder.stop();
    });
  });
});

// pg_basebackup forks its WAL streamer, which keeps streaming (and holds stderr open) when its parent is killed:
// `exited` (waiting for 'close') and stop() never settled, and the backup never returned.
describe('spawnTool processGroup: what a killed tool forked dies with it', () => {
  /** A tool that forks a helper sharing its stderr, prints the helper's pid, and runs on. */
  const forking = () =>
    spawnTool('pg_basebackup', '/bin/sh', ['-c', 'sleep 60 & echo $! >&2; exec sleep 60'], {
      env: {},
      processGroup: true,
    });
  const helperPid = async (tool: ReturnType<typeof forking>) => {
    for (let i = 0; i < 500 && !/\d+\n/.test(tool.stderr()); i++) await sleep(10);
    return Number(tool.stderr().trim());
  };
  /** Gone, or a zombie whose new parent (init) has yet to reap it: either way it runs no more. */
  const dead = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
    } catch {
      return true;
    }
  };

  it('killed from outside (an OOM kill): exited settles and the helper is killed', async () => {
    const tool = forking();
    const helper = await helperPid(tool);
    expect(dead(helper)).toBe(false);
    tool.child.kill('SIGKILL');
    expect(await settles(tool.exited.catch(() => {}))).toBe('reaped');
    await expect(tool.exited).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    for (let i = 0; i < 500 && !dead(helper); i++) await sleep(10);
    expect(dead(helper)).toBe(true);
  });

  it('this process exiting (the CLI exits at a second Ctrl-C) takes the group with it', async () => {
    // A Node process of its own, since exiting is the point: it loads spawn.ts itself (core from its build).
    const spawnTs = fileURLToPath(new URL('../src/tools/spawn.ts', import.meta.url));
    const script = `import { spawnTool } from ${JSON.stringify(spawnTs)};
      const tool = spawnTool('pg_basebackup', '/bin/sh', ['-c', 'sleep 60 & echo $! >&2; exec sleep 60'], { env: {}, processGroup: true });
      tool.exited.catch(() => {});
      const wait = () => /\\d+\\n/.test(tool.stderr())
        ? (console.log(JSON.stringify({ tool: tool.child.pid, helper: Number(tool.stderr().trim()) })), process.exit(130))
        : setTimeout(wait, 10);
      wait();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(130);
    const pids = JSON.parse(r.stdout) as { tool: number; helper: number };
    expect(pids.helper).toBeGreaterThan(0);
    // SIGKILL is sent before the exit; dying takes a moment (bounded wait, not a timing threshold).
    for (let i = 0; i < 500 && !(dead(pids.tool) && dead(pids.helper)); i++) await sleep(10);
    expect(dead(pids.tool)).toBe(true);
    expect(dead(pids.helper)).toBe(true);
  });

  it('stop() kills the running tool and its helper, and returns', async () => {
    const tool = forking();
    const helper = await helperPid(tool);
    expect(await settles(tool.stop())).toBe('reaped');
    expect(processGone(tool.child.pid)).toBe(true);
    for (let i = 0; i < 500 && !dead(helper); i++) await sleep(10);
    expect(dead(helper)).toBe(true);
  });
});
