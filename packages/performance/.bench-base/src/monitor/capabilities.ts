import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';

export interface ExtensionState {
  /** Created in this database (CREATE EXTENSION done). */
  installed: boolean;
  version?: string;
  schema?: string;
  /** Packaged on the server (pg_available_extensions). */
  available: boolean;
}

/** What this role on this server can do; the report lists gaps under `warnings`. */
export interface Capabilities {
  serverVersionNum: number;
  serverMajor: number;
  currentUser: string;
  superuser: boolean;
  pgMonitor: boolean;
  pgReadAllStats: boolean;
  pgStatStatements: ExtensionState & { preloaded: boolean };
  hypopg: ExtensionState;
  pgQualstats: ExtensionState & { preloaded: boolean };
  /** Set after the first EXPLAIN attempt: false when the role lacks SELECT on the tables. */
  canExplain?: boolean;
}

export async function detectCapabilities(db: SqlRunner, options: QueryOptions = {}): Promise<Capabilities> {
  const ext = (name: string) => `
      (SELECT extversion FROM pg_extension WHERE extname = '${name}') AS "${name}_version",
      (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = '${name}') AS "${name}_schema",
      EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = '${name}') AS "${name}_available"`;
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT current_setting('server_version_num')::int AS version_num, current_user AS current_user,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            pg_has_role(current_user, 'pg_monitor', 'USAGE') AS pg_monitor,
            pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS pg_read_all_stats,
            current_setting('shared_preload_libraries') AS preload,
            ${ext('pg_stat_statements')}, ${ext('hypopg')}, ${ext('pg_qualstats')}`,
    [],
    options,
  );
  const r = rows[0]!;
  const preload = String(r['preload'] ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^"|"$/g, ''));
  const state = (name: string): ExtensionState => {
    const version = r[`${name}_version`];
    const schema = r[`${name}_schema`];
    return {
      installed: version !== null && version !== undefined,
      ...(version ? { version: String(version) } : {}),
      ...(schema ? { schema: String(schema) } : {}),
      available: Boolean(r[`${name}_available`]),
    };
  };
  const num = Number(r['version_num']);
  return {
    serverVersionNum: num,
    serverMajor: Math.floor(num / 10_000),
    currentUser: String(r['current_user']),
    superuser: Boolean(r['superuser']),
    pgMonitor: Boolean(r['pg_monitor']),
    pgReadAllStats: Boolean(r['pg_read_all_stats']),
    pgStatStatements: { ...state('pg_stat_statements'), preloaded: preload.includes('pg_stat_statements') },
    hypopg: state('hypopg'),
    pgQualstats: { ...state('pg_qualstats'), preloaded: preload.includes('pg_qualstats') },
  };
}

/** `'1.10'` → 10: columns are chosen by extension version, not server version (a PG17 server can carry 1.6). */
export function extensionMinor(version: string | undefined): number {
  const m = /^1\.(\d+)/.exec(version ?? '');
  return m ? Number(m[1]) : 0;
}
