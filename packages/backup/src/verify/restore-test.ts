import { randomBytes } from 'node:crypto';
import { type Database, DbrsError, type Logger } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import { countRows, listUserTables } from '../dump/snapshot.js';
import type { PgTool } from '../kinds.js';
import type { ObjectOpener } from '../restore/fetch.js';
import { logicalRestore, type RestoreProgress } from '../restore/logical-restore.js';
import { createDatabaseIfMissing, dropDatabase, siblingDatabase } from '../restore/target.js';
import { connectionEnv } from '../tools/connection-env.js';
import { runAmcheck } from './amcheck.js';
import { compareRowCounts } from './row-counts.js';

export interface RestoreTestOptions {
  manifest: BackupManifest;
  opener: ObjectOpener;
  /** Where the scratch database is created (and always dropped). */
  server: Database;
  toolPath(tool: PgTool): string;
  tempDir: string;
  jobs?: number;
  signal?: AbortSignal;
  logger: Logger;
  /** pg_restore's steps (see logicalRestore), then 'amcheck' and 'row-counts'. */
  onProgress?: (p: RestoreProgress | { step: 'amcheck' | 'row-counts' }) => void;
}

export interface RestoreTestResult {
  restoreDurationMs: number;
  amcheck: 'passed' | 'unavailable';
  tablesCompared: number;
  scratchDatabase: string;
}

/**
 * Level 3: restore into a new scratch database, check every btree index
 * with amcheck when the extension is available, compare exact row counts
 * with the manifest's (taken in the dump snapshot), and always drop the
 * scratch database. The restore time is the recovery time actually achieved.
 */
export async function restoreTest(o: RestoreTestOptions): Promise<RestoreTestResult> {
  if (o.manifest.type !== 'logical') {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      'restoreTest is for logical backups; physical ones use physicalRestoreTest.',
    );
  }
  const scratch = `vhbk_verify_${randomBytes(5).toString('hex')}`;
  await createDatabaseIfMissing(o.server, scratch, o.signal);
  const target = siblingDatabase(o.server, scratch);
  try {
    const started = performance.now();
    await logicalRestore({
      manifest: o.manifest,
      opener: o.opener,
      env: connectionEnv(o.server, scratch),
      targetDatabase: scratch,
      toolPath: o.toolPath,
      jobs: o.jobs,
      owners: false,
      tempDir: o.tempDir,
      signal: o.signal,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const restoreDurationMs = Math.round(performance.now() - started);
    o.onProgress?.({ step: 'amcheck' });
    const amcheck = await runAmcheck(target, o.signal);
    let tablesCompared = 0;
    if (o.manifest.rowCounts) {
      o.onProgress?.({ step: 'row-counts' });
      const actual = await target.withClient(async (c) => countRows(c, await listUserTables(c)), { signal: o.signal });
      tablesCompared = compareRowCounts(o.manifest.rowCounts, actual, true).compared;
    }
    return { restoreDurationMs, amcheck, tablesCompared, scratchDatabase: scratch };
  } finally {
    await target.close().catch(() => {});
    await dropDatabase(o.server, scratch).catch((err) =>
      o.logger.warn({ event: 'scratch_drop_failed', database: scratch, err }, 'could not drop the scratch database'),
    );
  }
}
