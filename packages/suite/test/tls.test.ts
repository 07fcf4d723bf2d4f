import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDbrsError, libpqEnv } from '@voicehive/db-core';
import { getSharedPostgres, requireComponent, startTlsPostgres, type TlsPostgres } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';

/*
 * TLS on every path, against a real PostgreSQL with `ssl = on` and a
 * certificate from a throwaway CA made with openssl. The server refuses TCP
 * without TLS (hostnossl … reject), so a path that fell back to plain text
 * fails here instead of passing.
 */

const opensslOk = requireComponent(
  'openssl',
  spawnSync('openssl', ['version']).status === 0,
  'apt-get install openssl (makes the throwaway CA)',
);

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

async function failureOf(p: Promise<unknown>): Promise<Error & { code?: string }> {
  const outcome = await p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error('expected a failure');
  return outcome.error as Error & { code?: string };
}

describe.runIf(opensslOk)('TLS against a PostgreSQL with ssl = on', () => {
  let tls: TlsPostgres;
  const backups = tempDir('dbrs-tls-backups-');
  const migrations = tempDir('dbrs-tls-migrations-');
  writeFileSync(
    join(migrations, '0001_guests.sql'),
    '-- migrate:up\nCREATE TABLE tls_guests (id bigint PRIMARY KEY, name text);\n-- migrate:down\nDROP TABLE tls_guests;\n',
  );
  const database = (extra: Record<string, unknown> = {}) => ({
    host: tls.server.host,
    port: tls.server.port,
    name: 'postgres',
    user: 'postgres',
    ...extra,
  });
  const quiet = {
    logging: { level: 'silent' as const },
    capacity: { enabled: false },
    performance: { enabled: false },
  };

  beforeAll(async () => {
    tls = await startTlsPostgres();
  }, 120_000);
  afterAll(async () => {
    await tls?.stop();
    rmSync(backups, { recursive: true, force: true });
    rmSync(migrations, { recursive: true, force: true });
  });

  it('plain text is refused by this server (the premise of every other test here)', async () => {
    const err = await failureOf(
      createDatabaseReliabilitySuite(undefined, { database: database({ sslMode: 'disable' }), ...quiet }),
    );
    expect(err.message).toMatch(/no pg_hba\.conf entry|rejected|reject/i);
  });

  describe('verify-full with the right CA', () => {
    let suite: DatabaseReliabilitySuite;
    beforeAll(async () => {
      suite = await createDatabaseReliabilitySuite(undefined, {
        database: database({ sslMode: 'verify-full', sslCaFile: tls.caFile }),
        backup: { storageType: 'local', localPath: backups, compression: 'gzip' },
        migrations: { migrationsDir: migrations, testFirst: true },
        ...quiet,
      });
    }, 60_000);
    afterAll(async () => {
      await suite?.shutdown();
    });

    it('status is healthy over an encrypted session', async () => {
      const status = await suite.getComprehensiveStatus();
      expect(status.components.database.status).toBe('healthy');
      const { rows } = await suite.database.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows[0]?.ssl).toBe(true);
      expect(suite.database.tls).toEqual({ mode: 'verify-full', caFile: tls.caFile });
    });

    it('child tools get PGSSLMODE and PGSSLROOTCERT from the one libpq helper', () => {
      const env = libpqEnv(suite.database, { base: { PGSSLMODE: 'disable' } });
      expect(env['PGSSLMODE']).toBe('verify-full');
      expect(env['PGSSLROOTCERT']).toBe(tls.caFile);
      expect(env['PGDATABASE']).toBe('postgres');
    });

    it('a backup (pg_dump) and its restore test (pg_restore into a scratch database) run over TLS', async () => {
      const manager = suite.backup!;
      const created = await manager.createBackup('postgres');
      const verified = await manager.verifyBackup(created.backupId, { level: 3 });
      expect(verified.ok, verified.error?.message).toBe(true);
      expect(verified.level).toBe(3);
    }, 120_000);

    it('a migration run with its scratch-database test (pg_dump | psql, lock tracer) runs over TLS', async () => {
      const manager = suite.migrations!;
      const run = await manager.runMigration({ targetRevision: 'head', testFirst: true });
      expect(run.success, run.errorMessage).toBe(true);
      const { rows } = await suite.database.query("SELECT to_regclass('public.tls_guests') AS t");
      expect(rows[0]?.t).toBe('tls_guests');
    }, 120_000);
  });

  it('a client certificate and key reach the server (pg_stat_ssl.client_dn)', async () => {
    const suite = await createDatabaseReliabilitySuite(undefined, {
      sslMode: 'verify-full',
      sslCaFile: tls.caFile,
      sslCertFile: tls.clientCertFile,
      sslKeyFile: tls.clientKeyFile,
      database: database(),
      backupEnabled: false,
      migrationsEnabled: false,
      ...quiet,
    });
    try {
      const { rows } = await suite.database.query<{ dn: string | null }>(
        'SELECT client_dn AS dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows[0]?.dn).toContain('dbrs-client');
      const env = libpqEnv(suite.database);
      expect([env['PGSSLCERT'], env['PGSSLKEY']]).toEqual([tls.clientCertFile, tls.clientKeyFile]);
    } finally {
      await suite.shutdown();
    }
  });

  it('the URL and the config fields are one setting: both agreeing works, disagreeing is CONFIG_INVALID', async () => {
    const url = `postgres://postgres@${tls.server.host}:${tls.server.port}/postgres?sslmode=verify-full`;
    const agreeing = await createDatabaseReliabilitySuite(url, {
      sslCaFile: tls.caFile,
      backupEnabled: false,
      migrationsEnabled: false,
      ...quiet,
    });
    await agreeing.shutdown();
    const err = await failureOf(
      createDatabaseReliabilitySuite(url, { sslMode: 'require', backupEnabled: false, ...quiet }),
    );
    expect(isDbrsError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain('sslmode');
  });

  it('sslmode=require in a URL means libpq require (encrypted, unverified), not node-postgres verify-full', async () => {
    const url = `postgres://postgres@${tls.server.host}:${tls.server.port}/postgres?sslmode=require`;
    const suite = await createDatabaseReliabilitySuite(url, {
      backupEnabled: false,
      migrationsEnabled: false,
      ...quiet,
    });
    try {
      const { rows } = await suite.database.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows[0]?.ssl).toBe(true);
      expect(libpqEnv(suite.database)['PGSSLMODE']).toBe('require');
    } finally {
      await suite.shutdown();
    }
  });

  it('a wrong CA fails with DATABASE_TLS naming the mode; nothing falls back to plain text', async () => {
    for (const mode of ['verify-ca', 'verify-full'] as const) {
      const err = await failureOf(
        createDatabaseReliabilitySuite(undefined, {
          database: database({ sslMode: mode, sslCaFile: tls.wrongCaFile }),
          ...quiet,
        }),
      );
      expect(isDbrsError(err, 'DATABASE_TLS'), err.message).toBe(true);
      expect(err.message).toContain(`sslmode ${mode}`);
    }
  });

  it('dbrs status exits non-zero with DATABASE_TLS for a wrong CA', async () => {
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
      env: {
        DB_HOST: tls.server.host,
        DB_PORT: String(tls.server.port),
        DB_USER: 'postgres',
        DB_SSL_MODE: 'verify-full',
        DB_SSL_CA_FILE: tls.wrongCaFile,
        BACKUP_ENABLED: 'false',
        MIGRATIONS_ENABLED: 'false',
      },
      cwd: tmpdir(),
    };
    const code = await main(['status', '--config', '/dev/null'], io);
    expect(code).not.toBe(0);
    expect(out.join('')).toContain('DATABASE_TLS');
    expect(out.join('')).toContain('verify-full');
  });

  it('a host name the certificate does not list fails verify-full (DATABASE_TLS) but passes verify-ca', async () => {
    await tls.reissueServerCertificate(['DNS:db.elsewhere.internal']);
    const err = await failureOf(
      createDatabaseReliabilitySuite(undefined, {
        database: database({ sslMode: 'verify-full', sslCaFile: tls.caFile }),
        ...quiet,
      }),
    );
    expect(isDbrsError(err, 'DATABASE_TLS'), err.message).toBe(true);
    expect(err.message).toContain('sslmode verify-full');
    expect(err.message).toMatch(/host name/);
    const chainOnly = await createDatabaseReliabilitySuite(undefined, {
      database: database({ sslMode: 'verify-ca', sslCaFile: tls.caFile }),
      backupEnabled: false,
      migrationsEnabled: false,
      ...quiet,
    });
    await chainOnly.shutdown();
  });
});

describe('require against a server with ssl = off', () => {
  it('fails with DATABASE_TLS naming the mode instead of connecting in plain text', async () => {
    const server = await getSharedPostgres();
    const err = await failureOf(
      createDatabaseReliabilitySuite(undefined, {
        database: { host: server.host, port: server.port, name: 'postgres', user: 'postgres', sslMode: 'require' },
        logging: { level: 'silent' },
        backup: { enabled: false },
        migrations: { enabled: false },
      }),
    );
    expect(isDbrsError(err, 'DATABASE_TLS'), err.message).toBe(true);
    expect(err.message).toContain('sslmode require');
  });
});

describe('bad TLS input', () => {
  const dir = tempDir('dbrs-tls-bad-');
  const notPem = join(dir, 'ca.der');
  writeFileSync(notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82]));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (env: Record<string, string>) => {
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
      env: { DB_HOST: '127.0.0.1', DB_PORT: '1', ...env },
      cwd: dir,
    };
    const code = await main(['status'], io);
    return { code, text: out.join('') };
  };

  it('verify-full without a CA: CONFIG_INVALID, exit 2, says what to set', async () => {
    const r = await cli({ DB_SSL_MODE: 'verify-full' });
    expect(r.code).toBe(2);
    expect(r.text).toContain('CONFIG_INVALID');
    expect(r.text).toContain('DB_SSL_CA_FILE');
  });

  it('an unreadable CA file: CONFIG_INVALID, exit 2, names the file and the setting', async () => {
    const r = await cli({ DB_SSL_MODE: 'verify-full', DB_SSL_CA_FILE: join(dir, 'missing.pem') });
    expect(r.code).toBe(2);
    expect(r.text).toContain('CONFIG_INVALID');
    expect(r.text).toContain('missing.pem');
    expect(r.text).toContain('ENOENT');
  });

  it('a CA file that is not PEM: CONFIG_INVALID, exit 2, never its content', async () => {
    const r = await cli({ DB_SSL_MODE: 'verify-ca', DB_SSL_CA_FILE: notPem });
    expect(r.code).toBe(2);
    expect(r.text).toContain('not in PEM form');
  });

  it('a client certificate without its key: CONFIG_INVALID, exit 2', async () => {
    const r = await cli({ DB_SSL_MODE: 'require', DB_SSL_CERT_FILE: notPem });
    expect(r.code).toBe(2);
    expect(r.text).toContain('database.sslKeyFile');
  });
});
