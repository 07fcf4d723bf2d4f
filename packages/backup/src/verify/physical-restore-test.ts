import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abortError, type Logger } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import { countRows, listUserTables } from '../dump/snapshot.js';
import type { PgTool } from '../kinds.js';
import { locateServerBinary } from '../tools/server-binary.js';
import { assertServiceUserCanReach, chownToServiceUser } from '../tools/service-user.js';
import { runAmcheck } from './amcheck.js';
import { runPgVerifybackup } from './readable.js';
import { compareRowCounts } from './row-counts.js';
import { startScratchServer } from './scratch-server.js';

export interface PhysicalRestoreTestOptions {
  manifest: BackupManifest;
  /** Lays the backup out as a data directory (an incremental: its chain combined by pg_combinebackup). */
  layOut: (dir: string, signal?: AbortSignal) => Promise<void>;
  toolPath(tool: PgTool): string;
  /** The `postgres` binary (toolPaths.postgres) or a directory holding it (binDir). */
  serverBinary?: { explicit?: string; binDir?: string };
  tempDir: string;
  /** How long crash recovery may take. */
  startTimeoutMs: number;
  signal?: AbortSignal;
  logger: Logger;
}

export interface PhysicalRestoreTestResult {
  /** Extract + crash recovery until the server accepts connections: the recovery time achieved. */
  restoreDurationMs: number;
  amcheck: 'passed' | 'unavailable';
  /** Databases whose btree indexes amcheck checked. */
  databasesChecked: number;
  tablesCompared: number;
  /** False when transactions ran between the row count and the backup's end: differences are then reported, not failed. */
  rowCountsExact: boolean;
  rowCountMismatches: string[];
}

/**
 * Level 3 for physical backups: lay the backup out as a data directory,
 * pg_verifybackup it, start a private PostgreSQL of the backup's major on it
 * (crash recovery replays the included WAL to consistency), amcheck every
 * database's btree indexes, compare the backed-up database's row counts
 * with the manifest's, then stop the server and delete everything, always.
 */
// Long: a sequence of checks (start, amcheck, row counts) sharing one private server whose stop and delete is one finally.
export async function physicalRestoreTest(o: PhysicalRestoreTestOptions): Promise<PhysicalRestoreTestResult> {
  const major = Math.floor(o.manifest.server.versionNum / 10_000);
  const postgres = await locateServerBinary(major, o.serverBinary ?? {});
  // The socket lives in this directory, and socket paths are limited to ~100 bytes.
  const base = o.tempDir.length > 60 ? tmpdir() : o.tempDir;
  await assertServiceUserCanReach(base);
  const dir = await mkdtemp(join(base, 'vhbk-pv-'));
  const dataDir = join(dir, 'data');
  let server: Awaited<ReturnType<typeof startScratchServer>> | undefined;
  try {
    const started = performance.now();
    await o.layOut(dataDir, o.signal);
    await runPgVerifybackup(o.toolPath, dataDir);
    await chownToServiceUser(dir);
    if (o.signal?.aborted) throw abortError(o.signal, 'verification');
    server = await startScratchServer({
      postgres,
      dataDir,
      runDir: dir,
      startTimeoutMs: o.startTimeoutMs,
      signal: o.signal,
    });
    const restoreDurationMs = Math.round(performance.now() - started);
    const superuser = o.manifest.server.superuser ?? 'postgres';

    const admin = server.connect('template1', superuser);
    let databases: string[];
    let nextXid: string;
    try {
      // Read before anything here assigns a transaction id (CREATE EXTENSION does).
      nextXid = (
        await admin.query<{ x: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x', [], {
          signal: o.signal,
        })
      ).rows[0]!.x;
      databases = (
        await admin.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1',
          [],
          { signal: o.signal },
        )
      ).rows.map((r) => r.datname);
    } finally {
      await admin.close().catch(() => {});
    }

    let amcheck: 'passed' | 'unavailable' = 'passed';
    let tablesCompared = 0;
    let mismatches: string[] = [];
    const rowCountsExact = o.manifest.rowCountsNextXid !== undefined && o.manifest.rowCountsNextXid === nextXid;
    for (const name of databases) {
      const db = server.connect(name, superuser);
      try {
        if (name === o.manifest.database && o.manifest.rowCounts) {
          const actual = await db.withClient(async (c) => countRows(c, await listUserTables(c)), { signal: o.signal });
          const cmp = compareRowCounts(o.manifest.rowCounts, actual, rowCountsExact);
          tablesCompared = cmp.compared;
          mismatches = cmp.mismatches;
        }
        if ((await runAmcheck(db, o.signal)) === 'unavailable') amcheck = 'unavailable';
      } finally {
        await db.close().catch(() => {});
      }
    }
    if (mismatches.length) {
      o.logger.warn(
        { event: 'physical_row_count_drift', backupId: o.manifest.backupId, mismatches: mismatches.slice(0, 20) },
        'row counts changed between the count and the end of the physical backup (the cluster was being written)',
      );
    }
    return {
      restoreDurationMs,
      amcheck,
      databasesChecked: databases.length,
      tablesCompared,
      rowCountsExact,
      rowCountMismatches: mismatches,
    };
  } finally {
    await server
      ?.stop()
      .catch((err) => o.logger.warn({ event: 'scratch_server_stop_failed', err }, 'could not stop the scratch server'));
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
