import { randomBytes } from 'node:crypto';
import { type Database, DbrsError, type Logger } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import { countRows, listUserTables } from '../dump/snapshot.js';
import type { ObjectOpener } from '../restore/fetch.js';
import { logicalRestore } from '../restore/logical-restore.js';
import { createDatabaseIfMissing, dropDatabase, siblingDatabase } from '../restore/target.js';
import { connectionEnv } from '../tools/connection-env.js';
import type { PgTool } from '../types.js';

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
      'UNSUPPORTED',
      'Level-3 restore tests of physical backups are not implemented; use level 2 (pg_verifybackup).',
      {
        hint: 'Run verifyBackup(id, { level: 2 }) for physical backups.',
      },
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
    });
    const restoreDurationMs = Math.round(performance.now() - started);
    const amcheck = await runAmcheck(target, o.signal);
    let tablesCompared = 0;
    if (o.manifest.rowCounts) {
      const actual = await target.withClient(async (c) => countRows(c, await listUserTables(c)), { signal: o.signal });
      const mismatches: string[] = [];
      for (const [table, expected] of Object.entries(o.manifest.rowCounts)) {
        tablesCompared++;
        if (actual[table] !== expected)
          mismatches.push(`${table}: expected ${expected}, restored ${actual[table] ?? 'missing'}`);
      }
      if (mismatches.length) {
        throw new DbrsError(
          'VERIFY_FAILED',
          `Restored row counts differ from the backup's: ${mismatches.slice(0, 5).join('; ')}.`,
          {
            details: { mismatches },
          },
        );
      }
    }
    return { restoreDurationMs, amcheck, tablesCompared, scratchDatabase: scratch };
  } finally {
    await target.close().catch(() => {});
    await dropDatabase(o.server, scratch).catch((err) =>
      o.logger.warn({ event: 'scratch_drop_failed', database: scratch, err }, 'could not drop the scratch database'),
    );
  }
}

async function runAmcheck(db: Database, signal?: AbortSignal): Promise<'passed' | 'unavailable'> {
  const available = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'", [], { signal });
  if (available.rowCount === 0) return 'unavailable';
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS amcheck', [], { signal });
  } catch {
    return 'unavailable';
  }
  const indexes = await db.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_am am ON am.oid = c.relam
      WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND c.relpersistence <> 't'`,
    [],
    { signal },
  );
  for (const idx of indexes.rows) {
    try {
      await db.query('SELECT bt_index_check($1::oid, true)', [idx.oid], { signal });
    } catch (cause) {
      throw new DbrsError('VERIFY_FAILED', `amcheck found a corrupt index ${idx.name} in the restored copy.`, {
        cause,
        details: { index: idx.name },
      });
    }
  }
  return 'passed';
}
