import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { requireComponent, useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_LAUNCH } from './support/run-cli.js';
import { scratchDir, sql } from './support/suite-helpers.js';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `dbrs` on a pseudo-terminal (util-linux `script`), so stderr is a
 * TTY and the progress bar draws as a person sees it; returns the screen's
 * lines (each \r returns to the start of the line, ESC[K clears the rest).
 */
function onTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; screen: string[]; raw: string }> {
  const command = [process.execPath, ...CLI_LAUNCH.argv, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, NODE_OPTIONS: '', TERM: 'xterm', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let raw = '';
    child.stdout.on('data', (d) => (raw += d));
    child.stderr.on('data', (d) => (raw += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const screen = raw
        .split(/\r?\n/)
        .map((l) => (l.split('\r').at(-1) ?? '').split('\u001b[K').join(''))
        .filter(Boolean);
      resolve({ code, screen, raw });
    });
  });
}

describe('CLI progress on a real terminal (pseudo-terminal, real PostgreSQL 15, real pg_dump/pg_restore)', () => {
  const ok = requireComponent('script', hasScript, 'apt-get install util-linux (for script(1))');
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 0.05, seed: 5 } });
  const work = scratchDir('dbrs-tty-');
  const env = () => ({
    DATABASE_URL: db.url,
    BACKUP_LOCAL_PATH: join(work.path, 'backups'),
    LOG_LEVEL: 'silent',
  });
  afterAll(() => work.remove());
  let backupId = '';

  it.skipIf(!ok)(
    'backup create: the dump shows bytes read, compressed and uploaded, then the manifest',
    async () => {
      const r = await onTerminal(['backup', 'create'], env());
      expect(r.code, r.raw).toBe(0);
      const dump = r.screen.find((l) => l.startsWith('backup dump done:'));
      expect(dump, r.raw).toMatch(
        /^backup dump done: \d+(\.\d)? [kMGT]?B read, \d+(\.\d)? [kMGT]?B compressed, \d+(\.\d)? [kMGT]?B uploaded in \d+:\d\d/,
      );
      // Compression and the upload are counted, not echoes of the raw figure: zstd makes the stored size smaller.
      const [, read, compressed, uploaded] = /([\d.]+ \w+) read, ([\d.]+ \w+) compressed, ([\d.]+ \w+) uploaded/.exec(
        dump!,
      )!;
      expect(compressed).toBe(uploaded);
      expect(compressed).not.toBe(read);
      backupId = /backupId\s+(\S+)/.exec(r.raw)?.[1] ?? '';
      expect(backupId, r.raw).not.toBe('');
    },
    300_000,
  );

  it.skipIf(!ok)(
    'backup restore: download, then pg_restore schema, data, indexes and constraints, each its own line',
    async () => {
      const r = await onTerminal(
        ['backup', 'restore', backupId, '--target-database', `${db.database.name}_tty`],
        env(),
      );
      expect(r.code, r.raw).toBe(0);
      const phases = r.screen.filter((l) => / done:/.test(l)).map((l) => /^restore (\w+)/.exec(l)?.[1]);
      expect(phases, r.raw).toEqual(['download', 'schema', 'data', 'indexes', 'constraints']);
      expect(
        r.screen.find((l) => l.startsWith('restore indexes done:')),
        r.raw,
      ).toMatch(/done: \d+ done in \d+:\d\d/);
      // The restored database has what the steps said they built.
      const [row] = await sql<{ n: string }>(
        db.url.replace(/\/[^/?]+(\?|$)/, `/${db.database.name}_tty$1`),
        "SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public'",
      );
      expect(Number(row?.n)).toBeGreaterThan(0);
      await sql(db.url, `DROP DATABASE "${db.database.name}_tty" WITH (FORCE)`);
    },
    300_000,
  );

  it.skipIf(!ok)(
    'backup verify --level 3: checksums, then the restore test by step, amcheck and row counts',
    async () => {
      const r = await onTerminal(['backup', 'verify', backupId, '--level', '3'], env());
      expect(r.code, r.raw).toBe(0);
      const phases = r.screen.filter((l) => / done:/.test(l)).map((l) => /^verify ([\w-]+)/.exec(l)?.[1]);
      expect(phases, r.raw).toEqual(['checksums', 'schema', 'data', 'indexes', 'constraints', 'amcheck', 'row-counts']);
    },
    300_000,
  );
});
