import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';

export interface WraparoundReport {
  database: string;
  /** age(datfrozenxid): transactions since the oldest unfrozen xid. Wraparound stops writes near 2^31. */
  xidAge: number;
  /** mxid_age(datminmxid): multixact ids wrap the same way. */
  mxidAge: number;
  /** 2^31 − 1,000,000 − xidAge: how far from the forced shutdown. */
  xidRemaining: number;
  autovacuumFreezeMaxAge: number;
  warning: boolean;
  /** Oldest tables, to VACUUM (FREEZE) first. */
  oldestTables: { schema: string; table: string; xidAge: number }[];
}

export async function readWraparound(
  db: SqlRunner,
  warningAge: number,
  options: QueryOptions = {},
): Promise<WraparoundReport> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT d.datname, age(d.datfrozenxid)::int8 AS xid_age, mxid_age(d.datminmxid)::int8 AS mxid_age,
            current_setting('autovacuum_freeze_max_age')::int8 AS freeze_max,
            (SELECT json_agg(x) FROM (
               SELECT n.nspname AS schema, c.relname AS "table", age(c.relfrozenxid)::int8 AS "xidAge"
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'm', 't') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                ORDER BY age(c.relfrozenxid) DESC LIMIT 5) x) AS oldest
       FROM pg_database d WHERE d.datname = current_database()`,
    [],
    options,
  );
  const r = rows[0]!;
  const xidAge = Number(r['xid_age']);
  return {
    database: String(r['datname']),
    xidAge,
    mxidAge: Number(r['mxid_age']),
    xidRemaining: 2 ** 31 - 1_000_000 - xidAge,
    autovacuumFreezeMaxAge: Number(r['freeze_max']),
    warning: xidAge >= warningAge,
    oldestTables: ((r['oldest'] as { schema: string; table: string; xidAge: number }[] | null) ?? []).map((t) => ({
      ...t,
      xidAge: Number(t.xidAge),
    })),
  };
}
