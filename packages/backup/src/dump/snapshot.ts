import type { Database } from '@voicehive/db-core';
import { quoteIdent } from '@voicehive/db-core';
import { type DumpFilters, tableSelected } from './filters.js';

export interface SnapshotContext {
  snapshotId: string;
  /** Exact counts per `schema.table`, read in the exported snapshot (undefined when disabled). */
  rowCounts: Promise<Record<string, number> | undefined>;
  /** WAL position when the snapshot was taken. */
  currentLsn: string;
  /**
   * Aborts when the caller's signal does, or when the session holding the snapshot fails (its row counts
   * rejected: the backend was terminated). The dump must stop then: a pg_dump waiting on a table lock would
   * otherwise wait for ever on a snapshot that no longer exists.
   */
  signal: AbortSignal;
}

/** The one client method used here, so callers can pass a pg client without this package depending on pg. */
export interface SqlClient {
  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg's own default row type so a pg client fits.
  query<R = any>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

const USER_TABLES = `
  SELECT n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'r'
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
   ORDER BY 1, 2`;

/** Ordinary user tables (not partitions' parents, not extension-owned), as the restore and row-count checks see them. */
export async function listUserTables(client: SqlClient): Promise<Array<{ schema: string; name: string }>> {
  return (await client.query<{ schema: string; name: string }>(USER_TABLES)).rows;
}

export async function countRows(
  client: SqlClient,
  tables: Array<{ schema: string; name: string }>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const res = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`,
    );
    counts[`${t.schema}.${t.name}`] = Number(res.rows[0]!.n);
  }
  return counts;
}

/**
 * Holds a REPEATABLE READ transaction open while `run` dumps with
 * `pg_dump --snapshot`, so the dump and the row counts see the same data.
 */
export async function withExportedSnapshot<T>(
  db: Database,
  options: { filters: DumpFilters; rowCounts: boolean; signal?: AbortSignal },
  run: (ctx: SnapshotContext) => Promise<T>,
): Promise<T> {
  return db.withClient(
    async (client) => {
      // The row counts run on this session beside the dump. When the dump fails or is aborted they may still
      // be waiting (a table lock held elsewhere), and the ROLLBACK below would queue behind them for ever:
      // cancel whatever this session is running first. (It held `dbrs serve` past its shutdown on SIGTERM.)
      const pid = (client as unknown as { processID: number }).processID;
      const cancelCounts = () => db.cancelBackend(pid).catch(() => {});
      const onAbort = () => void cancelCounts();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const res = await client.query<{ id: string; lsn: string | null }>(
          'SELECT pg_export_snapshot() AS id, CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS lsn',
        );
        const snapshotId = res.rows[0]!.id;
        const rowCounts = options.rowCounts
          ? listUserTables(client).then((all) =>
              countRows(
                client,
                all.filter((t) => tableSelected(options.filters, t.schema, t.name)),
              ),
            )
          : Promise.resolve(undefined);
        const lost = new AbortController();
        rowCounts.catch((err) => lost.abort(err));
        const signal = options.signal ? AbortSignal.any([options.signal, lost.signal]) : lost.signal;
        let value: T;
        try {
          value = await run({ snapshotId, rowCounts, currentLsn: res.rows[0]!.lsn ?? '', signal });
        } catch (err) {
          // The session's failure is the cause, not the dump it stopped.
          throw lost.signal.aborted && !options.signal?.aborted ? lost.signal.reason : err;
        }
        await rowCounts;
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await cancelCounts();
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
    },
    { signal: options.signal },
  );
}
