import type { AuditLog, Database, LeaderLock, Logger } from '@voicehive/db-core';
import type pg from 'pg';
import type { NormalizedLintRuleOptions } from '../lint/rule-selection.js';
import type { DatabaseMigrationManagerOptions } from '../manager-options.js';
import type { MigrationMetrics } from '../metrics.js';
import type { SchemaSnapshot } from '../rehearsal/schema-snapshot.js';
import type { LockWaitSample } from '../runner/lock-watch.js';
import type { MigrationStorage } from '../runner/storage.js';
import type { MigrationState } from '../runner/validate.js';
import type { MigrationSource } from '../sources/types.js';

/** The manager's options with every default filled in. */
export type ResolvedManagerOptions = Required<
  Pick<
    DatabaseMigrationManagerOptions,
    | 'tableName'
    | 'schema'
    | 'lockTimeoutMs'
    | 'statementTimeoutMs'
    | 'lockWaitTimeoutMs'
    | 'maxLockRetries'
    | 'retryBaseMs'
    | 'retryMaxMs'
    | 'allowOutOfOrder'
    | 'testFirst'
    | 'failOnLintErrors'
    | 'actor'
  >
> &
  DatabaseMigrationManagerOptions;

/** Files and applied list read together at the start of an operation. */
export interface LoadedState {
  sources: MigrationSource[];
  state: MigrationState;
}

/**
 * What every operation (operations/*.ts) gets from the manager: its
 * long-lived collaborators and the few reads they share. The manager owns
 * them (and closes them); operations only use them.
 */
export interface OperationContext {
  db: Database;
  opts: ResolvedManagerOptions;
  storage: MigrationStorage;
  lintRules: NormalizedLintRuleOptions;
  logger: Logger;
  metrics: MigrationMetrics | undefined;
  audit: AuditLog | undefined;
  /** The global migration lock (one runner at a time); renamed by initialize when the log is found at its older location. */
  lock: LeaderLock;
  /**
   * Files and applied list as of now (the first operation reuses what initialize loaded). With a signal, an
   * abort cancels the read of the applied list on the server (a log table locked by someone else).
   */
  state(signal?: AbortSignal): Promise<LoadedState>;
  /** The migration files as of now. */
  sources(): Promise<MigrationSource[]>;
  /** Schema snapshot without the manager's own log tables. */
  snapshot(db: { query: Database['query'] } | pg.ClientBase): Promise<SchemaSnapshot>;
}

/** Per-run settings of one apply/rollback, threaded from the public call to applyMigration. */
export interface RunHooks {
  signal?: AbortSignal;
  /** Lock-wait samples of this run (runMigration's onLockWait). */
  onLockWait?: (wait: LockWaitSample) => void;
}
