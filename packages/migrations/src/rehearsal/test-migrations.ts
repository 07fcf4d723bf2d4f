import { type Database, DbrsError, errorMessage, type Logger, throwIfAborted } from '@voicehive/db-core';
import pg from 'pg';
import { type ApplyOptions, applyMigration, type MigrationOutcome } from '../runner/apply.js';
import type { MigrationStorage } from '../runner/storage.js';
import type { MigrationSource } from '../sources/types.js';
import { LockTracer, type TracedStatement } from './lock-tracer.js';
import { type ProbeImpact, ProbeLoad } from './probe-load.js';
import {
  describeDifferences,
  diffSchemaSnapshots,
  type SchemaDifference,
  type SchemaSnapshot,
  takeSchemaSnapshot,
} from './schema-snapshot.js';
import { createScratchDatabase, type ScratchCopy, type ScratchData, type ScratchDatabase } from './scratch-database.js';

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

/** The scratch session one migration test works on. */
interface ScratchSession {
  client: pg.Client;
  scratch: ScratchDatabase;
  options: InternalOptions;
  snap: () => Promise<SchemaSnapshot>;
}

function newEntry(m: MigrationSource): MigrationTestEntry {
  return {
    name: m.name,
    transactional: m.transactional,
    upMs: 0,
    statements: [],
    rollbackMatches: null,
    rollbackDifferences: [],
    reapplyMatches: null,
    reapplyDifferences: [],
  };
}

/** The first up, traced per statement (locks, rewrites) into `entry`. */
async function tracedUp(
  s: ScratchSession,
  m: MigrationSource,
  entry: MigrationTestEntry,
  before: SchemaSnapshot,
): Promise<void> {
  const existing = new Set(
    Object.keys(before.objects)
      .filter((k) => k.startsWith('relation ') || k.startsWith('index '))
      .map((k) => k.split(' ')[1]!),
  );
  const tracer = new LockTracer({
    samplerConfig: s.scratch.config,
    existingRelations: existing,
    ...(s.options.sampleIntervalMs ? { intervalMs: s.options.sampleIntervalMs } : {}),
  });
  const up = await step(entry, () =>
    // No lock-first here: the trace shows the locks each statement takes by itself.
    applyMigration(s.client, m, 'up', {
      ...s.options.apply,
      storage: s.options.storage,
      tracer,
      snapshot: undefined,
      lockFirst: false,
    }),
  );
  entry.statements = tracer.statements;
  entry.upMs = up.durationMs;
}

function mismatch(message: string, migration: string, differences: SchemaDifference[]): DbrsError {
  return new DbrsError('MIGRATION_TEST_FAILED', `${message}: ${describeDifferences(differences)}.`, {
    details: { migration, differences },
  });
}

/** down (compared with the schema before up), then up again under probe load (compared with the schema after up). */
async function roundTrip(
  s: ScratchSession,
  m: MigrationSource,
  entry: MigrationTestEntry,
  before: SchemaSnapshot,
): Promise<void> {
  const { client, options } = s;
  const apply = { ...options.apply, storage: options.storage, snapshot: undefined };
  const afterUp = await s.snap();
  const down = await step(entry, () => applyMigration(client, m, 'down', apply));
  entry.downMs = down.durationMs;
  entry.rollbackDifferences = diffSchemaSnapshots(before, await s.snap());
  entry.rollbackMatches = entry.rollbackDifferences.length === 0;
  if (!entry.rollbackMatches)
    throw mismatch(`The down of ${m.name} does not restore the schema`, m.name, entry.rollbackDifferences);
  const touched = touchedTables(entry.statements, before);
  const probe =
    options.probe === false || touched.length === 0
      ? undefined
      : new ProbeLoad(s.scratch.config, touched, options.sampleIntervalMs ?? 10);
  await probe?.start((client as unknown as { processID: number }).processID);
  let again: MigrationOutcome;
  try {
    again = await step(entry, () => applyMigration(client, m, 'up', apply));
  } finally {
    if (probe) entry.impact = await probe.stop();
  }
  entry.reapplyMs = again.durationMs;
  entry.reapplyDifferences = diffSchemaSnapshots(afterUp, await s.snap());
  entry.reapplyMatches = entry.reapplyDifferences.length === 0;
  if (!entry.reapplyMatches)
    throw mismatch(`Re-applying ${m.name} after its down gives a different schema`, m.name, entry.reapplyDifferences);
}

/** Every pending migration in turn on the scratch database; stops at the first failure. */
async function testEach(
  scratch: ScratchDatabase,
  pending: MigrationSource[],
  options: InternalOptions,
  report: MigrationTestReport,
) {
  const client = new pg.Client({ ...scratch.config, application_name: 'voicehive-dbrs-migration-test' });
  client.on('error', () => {});
  await client.connect();
  try {
    await options.storage.ensure(client);
    const exclude = [
      `${options.storage.schema}.${options.storage.tableName}`,
      `${options.storage.schema}.${options.storage.tableName}_schema`,
    ];
    const session: ScratchSession = {
      client,
      scratch,
      options,
      snap: () => takeSchemaSnapshot(client, { excludeTables: exclude }),
    };
    for (const m of pending) {
      throwIfAborted(options.signal, 'migration test');
      const entry = newEntry(m);
      report.migrations.push(entry);
      const before = await session.snap();
      await tracedUp(session, m, entry, before);
      if (options.roundTrip === false || m.irreversible) continue;
      await roundTrip(session, m, entry, before);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops the scratch database; a failure to drop fails the report (a leftover copy costs disk). */
async function dropScratch(scratch: ScratchDatabase | undefined, report: MigrationTestReport, logger: Logger) {
  if (!scratch) {
    report.scratchDropped = true;
    return;
  }
  try {
    await scratch.drop();
    report.scratchDropped = true;
  } catch (err) {
    logger.error({ event: 'scratch_drop_failed', database: scratch.name, err }, 'could not drop the scratch database');
    report.success = false;
    report.errorMessage ??= `Could not drop scratch database ${scratch.name}: ${errorMessage(err)}`;
  }
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
  let scratch: ScratchDatabase | undefined;
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
    await testEach(scratch, pending, options, report);
    report.success = true;
  } catch (err) {
    report.errorMessage = errorMessage(err);
    options.logger.warn({ event: 'migration_test_failed', err }, 'migration test failed');
  } finally {
    await dropScratch(scratch, report, options.logger);
    report.durationMs = performance.now() - started;
  }
  return report;
}

async function step(entry: MigrationTestEntry, fn: () => Promise<MigrationOutcome>): Promise<MigrationOutcome> {
  try {
    return await fn();
  } catch (err) {
    entry.error = errorMessage(err);
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
