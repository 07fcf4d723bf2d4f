import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';

export interface ConnectionsReport {
  /** Client backends on the whole server. */
  total: number;
  byState: Record<string, number>;
  maxConnections: number;
  superuserReserved: number;
  /** PG16+ `reserved_connections` (for roles with pg_use_reserved_connections); 0 before 16. */
  reserved: number;
  /** total / (max_connections − superuser_reserved_connections − reserved_connections). */
  usedRatio: number;
  warning: boolean;
}

export async function readConnections(
  db: SqlRunner,
  warningRatio: number,
  options: QueryOptions = {},
): Promise<ConnectionsReport> {
  const settings = `current_setting('max_connections') AS max,
            current_setting('superuser_reserved_connections') AS su_reserved,
            COALESCE(current_setting('reserved_connections', true), '0') AS reserved`;
  const { rows } = await db.query<{
    state: string | null;
    n: string;
    max: string;
    su_reserved: string;
    reserved: string;
  }>(
    `SELECT COALESCE(state, 'unknown') AS state, count(*)::int8 AS n, ${settings}
       FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1
     UNION ALL
     SELECT NULL, 0, ${settings}`,
    [],
    options,
  );
  const byState: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    if (r.state === null) continue;
    byState[r.state] = Number(r.n);
    total += Number(r.n);
  }
  const maxConnections = Number(rows[0]!.max);
  const superuserReserved = Number(rows[0]!.su_reserved);
  const reserved = Number(rows[0]!.reserved);
  const usedRatio = total / Math.max(1, maxConnections - superuserReserved - reserved);
  return {
    total,
    byState,
    maxConnections,
    superuserReserved,
    reserved,
    usedRatio,
    warning: usedRatio >= warningRatio,
  };
}
