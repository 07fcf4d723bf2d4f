import { describe, expect, it } from 'vitest';
import { databaseUrlFromConfig } from '../src/config/database-url.js';
import { type LoadConfigOptions, loadConfig } from '../src/config/load-config.js';
import { redactConfig } from '../src/config/redact-config.js';
import { REDACTED } from '../src/util/redact.js';

function config(overrides: LoadConfigOptions['overrides'] = {}) {
  return loadConfig({ file: false, env: {}, overrides });
}

describe('databaseUrlFromConfig', () => {
  it('builds a URL from the fields, percent-encoding user, password and name', () => {
    const { database } = config({
      database: { host: 'db.internal', port: 6543, user: 'app@corp', password: 'p@ss:w/rd?#%', name: 'voice hive' },
    });
    const url = databaseUrlFromConfig(database);
    const parsed = new URL(url);
    expect(parsed.protocol).toBe('postgres:');
    expect(parsed.hostname).toBe('db.internal');
    expect(parsed.port).toBe('6543');
    expect(decodeURIComponent(parsed.username)).toBe('app@corp');
    expect(decodeURIComponent(parsed.password)).toBe('p@ss:w/rd?#%');
    expect(decodeURIComponent(parsed.pathname.slice(1))).toBe('voice hive');
    expect(parsed.searchParams.get('sslmode')).toBe('disable');
  });

  it('returns url unchanged when it is set', () => {
    const url = 'postgresql://u:pw@elsewhere:5433/other?sslmode=require';
    expect(databaseUrlFromConfig(config({ database: { url, host: 'ignored' } }).database)).toBe(url);
  });

  it('adds sslmode and the CA file, omits an absent password', () => {
    const { database } = config({ database: { sslMode: 'verify-full', sslCaFile: '/etc/ssl/ca.pem' } });
    const parsed = new URL(databaseUrlFromConfig(database));
    expect(parsed.password).toBe('');
    expect(parsed.username).toBe('postgres');
    expect(parsed.searchParams.get('sslmode')).toBe('verify-full');
    expect(parsed.searchParams.get('sslrootcert')).toBe('/etc/ssl/ca.pem');
  });

  it('brackets IPv6 hosts and encodes Unix socket directories', () => {
    expect(new URL(databaseUrlFromConfig(config({ database: { host: '::1' } }).database)).hostname).toBe('[::1]');
    const socket = databaseUrlFromConfig(config({ database: { host: '/var/run/postgresql' } }).database);
    expect(socket).toContain('@%2Fvar%2Frun%2Fpostgresql:5432/');
    expect(decodeURIComponent(new URL(socket).hostname)).toBe('/var/run/postgresql');
  });
});

describe('redactConfig', () => {
  const secrets = {
    database: { password: 'db-secret-1', url: 'postgres://app:url-secret-2@h/d' },
    pgbouncer: { adminPassword: 'bouncer-secret-3' },
    backup: {
      encryptionKey: 'passphrase-secret-4',
      azureConnectionString: 'AccountName=a;AccountKey=azure-secret-5',
      decryptionKeys: ['old-passphrase-secret-6'],
    },
    server: { apiKey: 'api-secret-7', viewerApiKeys: ['viewer-secret-8'], metricsRequireApiKey: true },
  };

  it('hides every secret and keeps everything else', () => {
    const original = config(secrets);
    const safe = redactConfig(original);
    const text = JSON.stringify(safe);
    for (const secret of ['db-secret-1', 'url-secret-2', 'bouncer-secret-3', 'passphrase-secret-4', 'azure-secret-5']) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain('old-passphrase-secret-6');
    expect(text).not.toContain('api-secret-7');
    expect(text).not.toContain('viewer-secret-8');
    expect(safe.database.password).toBe(REDACTED);
    expect(safe.database.url).toBe(`postgres://app:${REDACTED}@h/d`);
    expect(safe.backup.decryptionKeys).toEqual([REDACTED]);
    expect(safe.server.apiKey).toBe(REDACTED);
    // A boolean whose name looks secret is not one.
    expect(safe.server.metricsRequireApiKey).toBe(true);
    expect(safe.database.host).toBe('localhost');
    expect(safe.metrics.port).toBe(9090);
  });

  it('leaves the original untouched', () => {
    const original = config(secrets);
    redactConfig(original);
    expect(original.database.password).toBe('db-secret-1');
    expect(original.backup.decryptionKeys).toEqual(['old-passphrase-secret-6']);
  });
});
