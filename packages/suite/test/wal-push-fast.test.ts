import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileIdentity } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

const SEG = '000000010000000000000007';
let dir: string;
let walDir: string;
let spool: string;
// A configuration the full command refuses (s3 without a bucket): exit 0 can only come from the fast path.
const env = { BACKUP_STORAGE_TYPE: 's3', BACKUP_S3_BUCKET: '', NODE_OPTIONS: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbrs-walfast-'));
  walDir = join(dir, 'pg_wal');
  spool = join(dir, 'spool');
  await mkdir(join(walDir, 'archive_status'), { recursive: true });
  await mkdir(spool);
  await writeFile(join(walDir, SEG), 'not read by the fast path');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const push = (...extra: string[]) =>
  runCli(['wal', 'push', join(walDir, SEG), ...extra], { env, cwd: dir, timeoutMs: 60_000 });

describe('wal push --async --spool-dir: a segment the worker already stored answers before loading anything', () => {
  it('without <name>.ok the full command runs (and here refuses the configuration)', async () => {
    await writeFile(join(walDir, 'archive_status', `${SEG}.ready`), '');
    const r = await push('--async', '--spool-dir', spool);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONFIG_INVALID/);
  });

  it('with <name>.ok naming this file, next to its .ready mark: exit 0 without reading the configuration', async () => {
    // The line the worker writes (backup's fileIdentity): the fast path must read it the same way.
    await writeFile(join(spool, `${SEG}.ok`), `stored 123\n${await fileIdentity(join(walDir, SEG))}\n`);
    const r = await push('--async', '--spool-dir', spool);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a <name>.ok recorded for another file under this name is not trusted: deleted, and the full command runs', async () => {
    const ok = `stored 123\n${await fileIdentity(join(walDir, SEG))}\n`;
    // The same name, other content: PostgreSQL's new file (an old cluster's .ok left in a reused spool).
    await writeFile(join(walDir, `${SEG}.new`), 'other content of a new cluster');
    await rename(join(walDir, `${SEG}.new`), join(walDir, SEG));
    await writeFile(join(spool, `${SEG}.ok`), ok);
    const r = await push('--async', '--spool-dir', spool);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONFIG_INVALID/);
    expect(existsSync(join(spool, `${SEG}.ok`))).toBe(false);
    // An old-format .ok (no source line) proves nothing either.
    await writeFile(join(spool, `${SEG}.ok`), 'stored 123\n');
    expect((await push('--async', '--spool-dir', spool)).code).toBe(2);
    // Put back for the next case: a .ok naming this file.
    await writeFile(join(spool, `${SEG}.ok`), `stored 123\n${await fileIdentity(join(walDir, SEG))}\n`);
  });

  it('only with both flags on the command line, and only for a file still marked ready', async () => {
    // The spool from the configuration (or the default) is the full command's to find.
    expect((await push('--async')).code).toBe(2);
    await rm(join(walDir, 'archive_status', `${SEG}.ready`));
    expect((await push('--async', '--spool-dir', spool)).code).toBe(2);
  });
});
