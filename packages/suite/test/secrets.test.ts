import { withDatabase } from '@voicehive/db-core';
import { requireComponent, useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, type RunningServer } from '../src/index.js';
import { scratchDir, sql } from './support/suite-helpers.js';

const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYREALSUITE';
const AZURE_KEY = 'UmVhbFN1aXRlQXp1cmVLZXk0NTY3ODk=';
const AZURE = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net`;
const ENCRYPTION_KEY = 'real-suite-encryption-passphrase-42';
const API_KEY = 'secrets-test-api-key-0123456789';

describe('no secret in any response, with a real suite and a config full of them', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const backups = scratchDir('dbrs-secrets-');
  let suite: DatabaseReliabilitySuite | undefined;
  let server: RunningServer;
  let password = '';

  beforeAll(async () => {
    const role = db.server.passwordRole;
    if (
      !requireComponent(
        'postgres password role',
        role !== undefined,
        'needs a local or embedded server (DBRS_TEST_DATABASE_URL has none)',
      )
    )
      return;
    password = role!.password;
    // The way an owner gives an application role the suite's state schema without CREATE on the database.
    await sql(db.url, `CREATE SCHEMA IF NOT EXISTS dbrs AUTHORIZATION ${role!.user}`);
    // Nested config (as loadConfig returns it), holding a database password, an S3 secret, an Azure connection string and an encryption key.
    suite = await createDatabaseReliabilitySuite(undefined, {
      database: { url: withDatabase(role!.url, db.database.name), poolMinSize: 0, poolMaxSize: 4 },
      backup: {
        storageType: 'local',
        localPath: backups.path,
        s3AccessKeyId: 'AKIAREALSUITE',
        s3SecretAccessKey: S3_SECRET,
        azureConnectionString: AZURE,
        encryptionKey: ENCRYPTION_KEY,
      },
      server: { apiKey: API_KEY },
      logging: { level: 'silent' },
    });
    server = await suite.serve({ port: 0, apiKey: API_KEY });
    await suite.runMaintenanceCycle();
  });
  afterAll(async () => {
    await suite?.shutdown();
    backups.remove();
  });

  it('checks every route, signed in and not, and the error paths', async (ctx) => {
    if (!suite) ctx.skip();
    const secrets = [password, S3_SECRET, AZURE_KEY, ENCRYPTION_KEY, API_KEY];
    expect(secrets.every((s) => s.length >= 8)).toBe(true);
    const auth = { authorization: `Bearer ${API_KEY}` };
    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: API_KEY }),
      redirect: 'manual',
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const responses = await Promise.all([
      fetch(`${server.url}/status`, { headers: auth }),
      fetch(`${server.url}/`, { headers: { cookie } }),
      fetch(`${server.url}/metrics`),
      fetch(`${server.url}/ready`),
      fetch(`${server.url}/health`),
      fetch(`${server.url}/status`),
      fetch(`${server.url}/`, { headers: { accept: 'text/html' } }),
      fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ key: 'wrong' }) }),
      fetch(`${server.url}/actions/nope`, { method: 'POST', headers: auth }),
      fetch(`${server.url}/actions/backup`, { method: 'POST', headers: auth }),
      fetch(`${server.url}/no-such-route`),
    ]);
    const bodies = await Promise.all(
      responses.map(async (r) => `${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${await r.text()}`),
    );
    expect(responses[0]!.status).toBe(200);
    expect(responses[1]!.status).toBe(200);
    // A backup as the password-authenticated role: success, or an error body (both must be secret-free).
    expect([200, 500], bodies[9]).toContain(responses[9]!.status);
    for (const [i, body] of bodies.entries()) {
      for (const secret of secrets) expect(body.includes(secret), `response ${i} leaks a secret`).toBe(false);
    }
    const status = await suite!.getComprehensiveStatus();
    expect(JSON.stringify(status)).not.toContain(password);
  });
});
