import type { DumpContext } from './context.js';
import { countRows, listUserTables } from './snapshot.js';

export interface PhysicalCounts {
  /** The snapshot's xmax: the cluster's next transaction id when the counts' snapshot was taken. */
  nextXid: string;
  /** Exact counts per `schema.table`, read in that snapshot while the backup runs. */
  rowCounts: Promise<Record<string, number>>;
  /** Cancels the counting query (the backup failed) and waits until the session is released. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A physical backup restores to its end, not to a snapshot, so its counts
 * can only be exact when nothing wrote in between: the cluster's next
 * transaction id is recorded with them, and the restore test compares
 * strictly only when the restored cluster's next xid is still the same.
 * A read-only transaction assigns no xid itself.
 *
 * The snapshot is taken here, before pg_basebackup starts; only the
 * counting in it runs beside the backup (it reads the snapshot, so what
 * pg_basebackup is doing meanwhile cannot change the numbers). The rule
 * above is unchanged: the xid is still taken before the backup begins.
 */
export async function startCounting(ctx: DumpContext): Promise<PhysicalCounts> {
  let snapshotTaken!: (v: { nextXid: string; pid: number }) => void;
  const snapshot = new Promise<{ nextXid: string; pid: number }>((resolve) => {
    snapshotTaken = resolve;
  });
  const rowCounts = ctx.db.withClient(
    async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const res = await client.query<{ x: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x');
        snapshotTaken({ nextXid: res.rows[0]!.x, pid: (client as unknown as { processID: number }).processID });
        const counts = await countRows(client, await listUserTables(client));
        await client.query('COMMIT');
        return counts;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    },
    { signal: ctx.signal },
  );
  let settled = false;
  rowCounts.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  // A session that fails before its snapshot (no connection) fails the backup before pg_basebackup starts.
  const { nextXid, pid } = await Promise.race([snapshot, rowCounts.then(() => snapshot)]);
  return {
    nextXid,
    rowCounts,
    async stop() {
      // Only while it counts: once released, the pid is a pooled session another query may be using.
      if (!settled) await ctx.db.cancelBackend(pid).catch(() => {});
      await rowCounts.catch(() => {});
    },
  };
}
