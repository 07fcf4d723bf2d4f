import { execFile } from 'node:child_process';
import { chmod, chown, copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serviceUser } from '../internal/service-user.js';
import { makeTempDir, removeDir } from '../internal/temp-dir.js';
import { findServerBinaries } from './find-binaries.js';
import { startPostgres } from './start-postgres.js';
import type { PostgresServer } from './types.js';

const run = promisify(execFile);

export interface TlsPostgres extends AsyncDisposable {
  /** A throwaway cluster with `ssl = on`, its certificate signed by `caFile`. */
  server: PostgresServer;
  /** The CA (PEM) that signed the server and client certificates. */
  caFile: string;
  /** Another CA (PEM) that signed nothing here: the "wrong CA". */
  wrongCaFile: string;
  /** A client certificate and key (CN `dbrs-client`) signed by `caFile`. */
  clientCertFile: string;
  clientKeyFile: string;
  /** Host names and IP addresses in the server certificate's subjectAltName. */
  serverNames: readonly string[];
  /**
   * Issues a new server certificate (same CA) for other names and reloads
   * the server (PostgreSQL re-reads its certificate on SIGHUP), e.g. to test
   * a host name the certificate does not list.
   */
  reissueServerCertificate(names: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface StartTlsPostgresOptions {
  /** subjectAltName entries of the server certificate. Default `['IP:127.0.0.1']`. */
  serverNames?: readonly string[];
}

/** Sends a statement over the Unix socket, which needs no TLS whatever pg_hba.conf says for TCP. */
async function overSocket(server: PostgresServer, sql: string): Promise<void> {
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Once started, TCP connections without TLS are rejected (`hostnossl …
 * reject`), so any path of the suite that fell back to plain text would
 * fail instead of passing unnoticed. Replication and the Unix socket stay open.
 */
async function requireTlsOnTcp(server: PostgresServer): Promise<void> {
  const lines = [
    'local   all          all                       trust',
    'local   replication  all                       trust',
    'hostnossl all        all          127.0.0.1/32  reject',
    'hostnossl replication all         127.0.0.1/32  reject',
    'hostssl all          all          127.0.0.1/32  trust',
    'hostssl replication  all          127.0.0.1/32  trust',
  ];
  await writeFile(join(server.dataDir!, 'pg_hba.conf'), `${lines.join('\n')}\n`);
  await overSocket(server, 'SELECT pg_reload_conf()');
  await new Promise((r) => setTimeout(r, 500));
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

/** An EC P-256 key pair and a self-signed CA certificate, valid for two days. */
async function makeCa(dir: string, name: string): Promise<string> {
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=dbrs test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return join(dir, `${name}.crt`);
}

/** A leaf certificate `name.crt` / `name.key` signed by `ca`. */
async function issue(dir: string, ca: string, name: string, cn: string, sans: readonly string[]): Promise<void> {
  await openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  );
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, sans.length > 0 ? `subjectAltName=${sans.join(',')}\n` : 'basicConstraints=CA:FALSE\n');
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      ext,
    ],
    dir,
  );
}

/** PostgreSQL reads the key only when it is the server user's and not readable by others. */
async function handToServer(files: readonly string[]): Promise<void> {
  const user = serviceUser();
  for (const file of files) {
    await chmod(file, 0o600);
    if (user) await chown(file, user.uid, user.gid);
  }
}

/**
 * A PostgreSQL started with `ssl = on` and a certificate from a throwaway CA
 * made with `openssl` here, plus a second CA that signed nothing (for
 * wrong-CA tests) and a client certificate. The server also trusts the CA
 * for client certificates (`ssl_ca_file`), so `pg_stat_ssl.client_dn` shows
 * a client certificate that arrived. TCP without TLS is then refused by
 * pg_hba.conf. Always a cluster of its own (never DBRS_TEST_DATABASE_URL):
 * the settings must apply. `server.url` is plain text and so refused: build
 * TLS connections from `server.host`/`server.port`.
 */
export async function startTlsPostgres(options: StartTlsPostgresOptions = {}): Promise<TlsPostgres> {
  const dir = await makeTempDir('pgtls', { forServiceUser: true });
  const serverNames = options.serverNames ?? ['IP:127.0.0.1'];
  try {
    const caFile = await makeCa(dir, 'ca');
    const wrongCaFile = await makeCa(dir, 'wrong-ca');
    await issue(dir, 'ca', 'server', 'dbrs-test-server', serverNames);
    await issue(dir, 'ca', 'client', 'dbrs-client', []);
    const serverCert = join(dir, 'server-live.crt');
    const serverKey = join(dir, 'server-live.key');
    await copyFile(join(dir, 'server.crt'), serverCert);
    await copyFile(join(dir, 'server.key'), serverKey);
    await handToServer([serverCert, serverKey, join(dir, 'ca.crt')]);
    // The client key is read by this process (and libpq children): keep it private.
    await chmod(join(dir, 'client.key'), 0o600);
    const server = await startPostgres({
      source: findServerBinaries() ? 'local' : 'embedded',
      settings: { ssl: 'on', ssl_cert_file: serverCert, ssl_key_file: serverKey, ssl_ca_file: join(dir, 'ca.crt') },
    });
    await requireTlsOnTcp(server);
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        await server.stop();
        await removeDir(dir);
      })();
      return stopping;
    };
    return {
      server,
      caFile,
      wrongCaFile,
      clientCertFile: join(dir, 'client.crt'),
      clientKeyFile: join(dir, 'client.key'),
      serverNames,
      async reissueServerCertificate(names) {
        await issue(dir, 'ca', 'server-next', 'dbrs-test-server', names);
        await copyFile(join(dir, 'server-next.crt'), serverCert);
        await copyFile(join(dir, 'server-next.key'), serverKey);
        await handToServer([serverCert, serverKey]);
        await overSocket(server, 'SELECT pg_reload_conf()');
        // The reload is asynchronous; new connections see the new certificate within moments.
        await new Promise((r) => setTimeout(r, 500));
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
}
