import { type Database, DbrsError, type Logger, throwIfAborted } from '@voicehive/db-core';
import pg from 'pg';
import { type ApplyOptions, applyMigration, type MigrationOutcome } from '../runner/apply.js';
import type { MigrationStorage } from '../runner/storage.js';
import type { MigrationSource } from '../sources/types.js';
import { LockTracer, type TracedStatement } from './lock-tracer.js';
import { type ProbeImpact, ProbeLoad } from './probe-load.js';
import {
  describeDifferences,
  diffSnapshots,
  type SchemaDifference,
  type SchemaSnapshot,
  takeSchemaSnapshot,
} from './schema-snapshot.js';
import { createScratchDatabase, type ScratchCopy, type ScratchData } from './scratch-database.js';

export interface TestMigrationsOptions {
  /** `'head'` (default) or the last pending migration to test. */
  targetRevision?: string;
  /**
   * Copy the 'schema' only (default), the 'full' data, `{ sampleRows: n }`
   * rows per table, or 'auto' (full when small, else a sample; see
   * createScratchDatabase) into the scratch database. `report.copy` says which.
   */
  data?: ScratchData;
  /** With `data: 'auto'`: the largest source (user tables with indexes, bytes) copied in full. Default 256 MiB. */
  fullCopyMaxBytes?: number;
  /** Run down and up again after each up, comparing schema snapshots. Default true. */
  roundTrip?: boolean;
  /** Run read/write probes on touched tables during the re-apply. Default true (needs roundTrip). */
  probe?: boolean;
  /** Probe and lock-sampler interval, in ms. Default 10. */
  sampleIntervalMs?: number;
  /** Directory of pg_dump/psql. Default: PATH. */
  binDir?: string;
  signal?: AbortSignal;
}

export interface MigrationTestEntry {
  name: string;
  transactional: boolean;
  upMs: number;
  downMs?: number;
  reapplyMs?: number;
  /** Per-statement trace of the first up. */
  statements: TracedStatement[];
  /** null when not checked (irreversible, or roundTrip off). */
  rollbackMatches: boolean | null;
  rollbackDifferences: SchemaDifference[];
  reapplyMatches: boolean | null;
  reapplyDifferences: SchemaDifference[];
  impact?: ProbeImpact;
  error?: string;
}

export interface MigrationTestReport {
  success: boolean;
  errorMessage?: string;
  scratchDatabase: string;
  scratchDropped: boolean;
  /** The kind of copy the migrations ran on (schema only: durations say nothing about real tables). Absent when no copy was made. */
  copy?: ScratchCopy;
  durationMs: number;
  migrations: MigrationTestEntry[];
}

interface InternalOptions extends TestMigrationsOptions {
  storage: MigrationStorage;
  apply: ApplyOptions;
  logger: Logger;
}

/**
 * Applies `pending` to a scratch copy of the target and, per migration:
 * snapshot → up (traced) → snapshot → down → compare with the first →
 * up again under probe load → compare with the second. Stops at the first
 * failure. The scratch database is always dropped.
 */
export async function runMigrationTests(
  db: Database,
  _sources: MigrationSource[],
  pending: MigrationSource[],
  options: InternalOptions,
): Promise<MigrationTestReport> {
  const started = performance.now();
  const report: MigrationTestReport = {
    success: false,
    scratchDatabase: '',
    scratchDropped: false,
    durationMs: 0,
    migrations: [],
  };
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  try {
    throwIfAborted(options.signal, 'migration test');
    scratch = await createScratchDatabase(db, {
      ...(options.data ? { data: options.data } : {}),
      ...(options.fullCopyMaxBytes !== undefined ? { fullCopyMaxBytes: options.fullCopyMaxBytes } : {}),
      ...(options.binDir ? { binDir: options.binDir } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    report.scratchDatabase = scratch.name;
    report.copy = scratch.copy;
    const client = new pg.Client({ ...scratch.config, application_name: 'voicehive-dbrs-migration-test' });
    client.on('error', () => {});
    await client.connect();
    try {
      await options.storage.ensure(client);
      const exclude = [
        `${options.storage.schema}.${options.storage.tableName}`,
        `${options.storage.schema}.${options.storage.tableName}_schema`,
      ];
      const snap = () => takeSchemaSnapshot(client, { excludeTables: exclude });
      for (const m of pending) {
        throwIfAborted(options.signal, 'migration test');
        const entry: MigrationTestEntry = {
          name: m.name,
          transactional: m.transactional,
          upMs: 0,
          statements: [],
          rollbackMatches: null,
          rollbackDifferences: [],
          reapplyMatches: null,
          reapplyDifferences: [],
        };
        report.migrations.push(entry);
        const s0 = await snap();
        const existing = new Set(
          Object.keys(s0.objects)
            .filter((k) => k.startsWith('relation ') || k.startsWith('index '))
            .map((k) => k.split(' ')[1]!),
        );
        const tracer = new LockTracer({
          samplerConfig: scratch.config,
          existingRelations: existing,
          ...(options.sampleIntervalMs ? { intervalMs: options.sampleIntervalMs } : {}),
        });
        const up = await step(entry, () =>
          // No lock-first here: the trace shows the locks each statement takes by itself.
          applyMigration(client, m, 'up', {
            ...options.apply,
            storage: options.storage,
            tracer,
            snapshot: undefined,
            lockFirst: false,
          }),
        );
        entry.statements = tracer.statements;
        entry.upMs = up.durationMs;
        if (options.roundTrip === false || m.irreversible) continue;
        const s1 = await snap();
        const down = await step(entry, () =>
          applyMigration(client, m, 'down', { ...options.apply, storage: options.storage, snapshot: undefined }),
        );
        entry.downMs = down.durationMs;
        entry.rollbackDifferences = diffSnapshots(s0, await snap());
        entry.rollbackMatches = entry.rollbackDifferences.length === 0;
        if (!entry.rollbackMatches) {
          throw new DbrsError(
            'MIGRATION_TEST_FAILED',
            `The down of ${m.name} does not restore the schema: ${describeDifferences(entry.rollbackDifferences)}.`,
            {
              details: { migration: m.name, differences: entry.rollbackDifferences },
            },
          );
        }
        const touched = touchedTables(tracer.statements, s0);
        const probe =
          options.probe === false || touched.length === 0
            ? undefined
            : new ProbeLoad(scratch.config, touched, options.sampleIntervalMs ?? 10);
        await probe?.start((client as unknown as { processID: number }).processID);
        let again: MigrationOutcome;
        try {
          again = await step(entry, () =>
            applyMigration(client, m, 'up', { ...options.apply, storage: options.storage, snapshot: undefined }),
          );
        } finally {
          if (probe) entry.impact = await probe.stop();
        }
        entry.reapplyMs = again.durationMs;
        entry.reapplyDifferences = diffSnapshots(s1, await snap());
        entry.reapplyMatches = entry.reapplyDifferences.length === 0;
        if (!entry.reapplyMatches) {
          throw new DbrsError(
            'MIGRATION_TEST_FAILED',
            `Re-applying ${m.name} after its down gives a different schema: ${describeDifferences(entry.reapplyDifferences)}.`,
            {
              details: { migration: m.name, differences: entry.reapplyDifferences },
            },
          );
        }
      }
    } finally {
      await client.end().catch(() => {});
    }
    report.success = true;
  } catch (err) {
    report.errorMessage = (err as Error).message;
    options.logger.warn({ event: 'migration_test_failed', err }, 'migration test failed');
  } finally {
    if (scratch) {
      try {
        await scratch.drop();
        report.scratchDropped = true;
      } catch (err) {
        options.logger.error(
          { event: 'scratch_drop_failed', database: scratch.name, err },
          'could not drop the scratch database',
        );
        report.success = false;
        report.errorMessage ??= `Could not drop scratch database ${scratch.name}: ${(err as Error).message}`;
      }
    } else report.scratchDropped = true;
    report.durationMs = performance.now() - started;
  }
  return report;
}

async function step(entry: MigrationTestEntry, fn: () => Promise<MigrationOutcome>): Promise<MigrationOutcome> {
  try {
    return await fn();
  } catch (err) {
    entry.error = (err as Error).message;
    throw err;
  }
}

function touchedTables(statements: TracedStatement[], before: SchemaSnapshot): string[] {
  const out = new Set<string>();
  for (const s of statements) {
    for (const l of s.locks) {
      if (!l.newRelation && before.objects[`relation ${l.relation}`]?.startsWith('kind=r')) out.add(l.relation);
    }
  }
  return [...out];
}
