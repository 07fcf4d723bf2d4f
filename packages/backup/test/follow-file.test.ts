import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followFile, whenFileAppears } from '../src/tools/follow-file.js';
import { spawnTool } from '../src/tools/spawn.js';
import { processGone } from './helpers/processes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vhbk-follow-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real writer process: a shell appending to `file` in steps, as pg_basebackup appends to its base tar. */
const writer = (script: string) => spawnTool('pg_basebackup', '/bin/sh', ['-c', script], { env: {} });

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('followFile: reading a file while another process appends to it', () => {
  it('streams every byte, including those written after the reader caught up, and ends at the clean exit', async () => {
    const file = join(dir, 'grows.bin');
    // Three appends with pauses longer than the poll: the reader reaches the end of the file twice before the writer is done.
    const tool = writer(
      `head -c 300000 /dev/urandom > ${file}; sleep 0.3; head -c 5000 /dev/urandom >> ${file}; sleep 0.3; printf end >> ${file}`,
    );
    expect(await whenFileAppears(file, { writerDone: tool.exited })).toBe(true);
    const got = await collect(followFile(file, { writerDone: tool.exited, chunkBytes: 4096 }));
    expect(got.length).toBe(305_003);
    expect(got.equals(await readFile(file))).toBe(true);
  });

  it('fails with the tool failure when the writer is killed mid-file (a truncated file is never complete)', async () => {
    const file = join(dir, 'killed.bin');
    const tool = writer(`head -c 100000 /dev/urandom > ${file}; exec sleep 60`);
    expect(await whenFileAppears(file, { writerDone: tool.exited })).toBe(true);
    const stream = followFile(file, { writerDone: tool.exited });
    const reading = collect(stream);
    // Killed once its first bytes exist, while the reader waits for more.
    setTimeout(() => tool.child.kill('SIGKILL'), 200);
    await expect(reading).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    expect(stream.destroyed).toBe(true);
    await tool.stop();
    expect(processGone(tool.child.pid)).toBe(true);
  });

  it('a writer that exits before creating the file ends the wait (false), failing or not', async () => {
    const failing = writer('echo "FATAL: must be superuser or replication role" >&2; exit 1');
    expect(await whenFileAppears(join(dir, 'never-1'), { writerDone: failing.exited })).toBe(false);
    await expect(failing.exited).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    const clean = writer('exit 0');
    expect(await whenFileAppears(join(dir, 'never-2'), { writerDone: clean.exited })).toBe(false);
  });

  it('a consumer that gives up closes the file and leaves the writer to its owner', async () => {
    const file = join(dir, 'abandoned.bin');
    const tool = writer(`head -c 1000000 /dev/urandom > ${file}; exec sleep 60`);
    expect(await whenFileAppears(file, { writerDone: tool.exited })).toBe(true);
    const stream = followFile(file, { writerDone: tool.exited });
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    stream.destroy();
    await new Promise((r) => stream.once('close', r));
    // The fd is closed: /proc lists no open handle on the file for this process.
    const open = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
    expect(open).toEqual([]);
    await tool.stop();
    expect(processGone(tool.child.pid)).toBe(true);
  });
});
