import pg from 'pg';
import type { PerformanceReport } from '../../src/index.js';
import { report } from '../helpers.js';
import type { PeerCase } from './types.js';

/** `schema.table (col, …)`: the form both peers print, so cases compare as plain strings. */
export const shown = (r: PerformanceReport): string[] =>
  r.indexRecommendations.map((x) => `${x.table} (${x.columns.join(', ')})`).sort();

/**
 * Runs one case as an application would: its statements (with their literals) on a connection of its own after
 * pg_stat_statements and pg_qualstats were reset for this database, then a full report with the case's
 * advisor options. The advisor sees exactly what PostgreSQL recorded. The caller runs the case's teardown.
 */
export async function runCase(url: string, c: PeerCase, hasQualstats: boolean): Promise<PerformanceReport> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (c.setup) await client.query(c.setup);
    await client.query(
      `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`,
    );
    if (hasQualstats) await client.query('SELECT pg_qualstats_reset()');
    for (let i = 0; i < (c.calls ?? 5); i++) {
      if (c.rollback) await client.query('BEGIN');
      for (const sql of c.statements) {
        if (c.failing) await client.query(sql).catch(() => undefined);
        else await client.query(sql);
      }
      if (c.rollback) await client.query('ROLLBACK');
    }
  } finally {
    await client.end();
  }
  return report(url, c.advisor ?? {});
}
