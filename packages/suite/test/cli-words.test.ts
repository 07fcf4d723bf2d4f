import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCliWords } from '../src/cli/errors.js';
import { runCli } from './support/run-cli.js';

/**
 * `dbrs` speaks in flags and commands, not library options: run as a child
 * process (no database needed for pgbouncer config), and the table that
 * turns the packages' hints into CLI words.
 */
describe('dbrs names its own flags', () => {
  const env = { LOG_LEVEL: 'silent' };

  it('pgbouncer config: a user without password is told about --auth-type, not authType', async () => {
    const r = await runCli(['pgbouncer', 'config', '--url', 'postgres://app@127.0.0.1:5432/hotel'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --auth-type trust');
    expect(r.stderr).not.toContain('authType');
  }, 120_000);

  it('pgbouncer config: --auth-type reaches auth_type, admin_users is pgbouncer.adminUser, not the app user', async () => {
    const r = await runCli(
      ['pgbouncer', 'config', '--url', 'postgres://app@127.0.0.1:5432/hotel', '--auth-type', 'trust', '--json'],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const ini = (JSON.parse(r.stdout) as { ini: string }).ini;
    expect(ini).toMatch(/^auth_type = trust$/m);
    expect(ini).toMatch(/^admin_users = pgbouncer$/m);
    const own = await runCli(
      [
        'pgbouncer',
        'config',
        '--url',
        'postgres://app:app-secret-pw@127.0.0.1:5432/hotel',
        '--auth-type',
        'md5',
        '--admin-user',
        'ops_admin',
      ],
      { env },
    );
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toMatch(/^auth_type = md5$/m);
    expect(own.stdout).toMatch(/^admin_users = ops_admin$/m);
    expect(own.stdout).not.toContain('app-secret-pw');
    const bad = await runCli(['pgbouncer', 'config', '--url', 'postgres://app:pw@h/db', '--auth-type', 'kerberos'], {
      env,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--auth-type must be one of scram-sha-256, md5, plain, trust');
  }, 180_000);

  it('turns the packages’ option names into flags and commands', () => {
    expect(
      inCliWords(
        'The target is not empty. Restore into an empty or new database (targetDatabase creates it), or pass clean: true to drop and replace the objects.',
      ),
    ).toBe(
      'The target is not empty. Restore into an empty or new database (--target-database creates it), or pass --clean to drop and replace the objects.',
    );
    expect(inCliWords('"x" is not a backup id. Use an id from listBackups().')).toBe(
      '"x" is not a backup id. Use an id from `dbrs backup list`.',
    );
    expect(inCliWords('Backup ids look like 20261126T143854123Z-a1b2c3; take one from listBackups().')).toBe(
      'Backup ids look like 20261126T143854123Z-a1b2c3; take one from `dbrs backup list`.',
    );
    expect(inCliWords('Use listBackups() to see the completed backups.')).toBe(
      'Use `dbrs backup list` to see the completed backups.',
    );
  });

  /**
   * Every hint the packages write (read from their sources, so a new one is
   * covered too), as the CLI prints it: none may still name a library
   * method or option that has a CLI flag, command or configuration key.
   * (createBackup(db, { globals: true }) and a sample store's createTable
   * are left: no dbrs command reaches them.)
   */
  it('no package hint reaches the command line naming a library option', () => {
    const LIBRARY_WORDS =
      /listBackups\(\)|status\(\)|clean: true|(?<!migrations\.)allowOutOfOrder: true|migrationsDir|targetDatabase|authType|binDir|toolPaths|enabled: true/;
    const root = resolve(import.meta.dirname, '../..');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const hints: string[] = [];
    for (const pkg of ['core', 'backup', 'migrations', 'performance', 'capacity', 'suite']) {
      for (const file of files(join(root, pkg, 'src'))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/hint:\s*(['"`])((?:\\.|(?!\1).)*)\1/gs))
          hints.push(m[2]!.replace(/\$\{[^}]*\}/g, 'pg_dump'));
      }
    }
    expect(hints.length).toBeGreaterThan(50);
    const leaks = hints.map((h) => inCliWords(h)).filter((h) => LIBRARY_WORDS.test(h));
    expect(leaks).toEqual([]);
    expect(inCliWords("Unknown migration 'x'. Use 'head' or a name from status().pending.")).toBe(
      "Unknown migration 'x'. Use 'head' or a pending name from `dbrs migrate status`.",
    );
  });
});
