import type { Database, Logger } from '@voicehive/db-core';
import type { Catalog } from '../catalog/catalog.js';
import type { ResolvedSettings } from '../config.js';
import type { BackupPhase, PgTool, ProgressEvent } from '../kinds.js';
import type { BackupMetrics } from '../metrics.js';
import type { KeyRing } from '../pipeline/encryption/keyring.js';
import type { BackupStorage } from '../storage/types.js';
import { locateTool } from '../tools/pg-tools.js';
import type { DatabaseBackupManagerOptions } from '../types.js';
import type { WalArchive } from '../wal/archive.js';

/** What exists once the manager is initialised: every operation gets all three, never a half. */
export interface Ready {
  storage: BackupStorage;
  catalog: Catalog;
  keyRing: KeyRing;
  /** The WAL archive in the same storage, with the same keys and compression. */
  wal: WalArchive;
}

export type AuditOutcome = 'success' | 'failure';

/** The manager's long-lived collaborators, handed to each operation with its `Ready` resources. */
export interface OperationContext extends Ready {
  /** The manager's connection (the server being backed up / restored to). */
  db: Database;
  config: DatabaseBackupManagerOptions;
  settings: ResolvedSettings;
  logger: Logger;
  metrics: BackupMetrics | undefined;
  /** Writes an audit entry; a failed write is logged, never thrown (the work already happened). */
  audit(action: string, target: string, outcome: AuditOutcome, details: Record<string, unknown>): Promise<void>;
}

/** Finds each tool once per operation, preferring the server's major version. */
export function toolLocator(config: DatabaseBackupManagerOptions, serverMajor: number): (tool: PgTool) => string {
  const cache = new Map<PgTool, string>();
  return (tool) => {
    let p = cache.get(tool);
    if (!p) {
      p = locateTool(tool, { binDir: config.binDir, toolPaths: config.toolPaths, serverMajor });
      cache.set(tool, p);
    }
    return p;
  };
}

/** What a phase reports besides its raw bytes (compressed and uploaded bytes, the step inside the phase). */
export type ProgressDetail = Omit<ProgressEvent, 'phase' | 'bytes' | 'rate'>;

/**
 * A progress reporter for one phase, throttled to 4 events a second (a new
 * step is always reported); a throwing callback is logged, not fatal.
 */
export function progressReporter(
  logger: Logger,
  phase: BackupPhase,
  onProgress: ((e: ProgressEvent) => void) | undefined,
): (bytes: number, force?: boolean, detail?: ProgressDetail) => void {
  const started = performance.now();
  let last = 0;
  let lastStep: string | undefined;
  // The newest event held back by the throttle: sent before a new step, so a step's last count is not lost.
  let held: ProgressEvent | undefined;
  const send = (e: ProgressEvent) => {
    try {
      onProgress?.(e);
    } catch (err) {
      logger.warn({ event: 'progress_callback_failed', err }, 'onProgress threw');
    }
  };
  return (bytes, force = false, detail = {}) => {
    if (!onProgress) return;
    const now = performance.now();
    const newStep = detail.step !== lastStep;
    lastStep = detail.step;
    const secs = (now - started) / 1000;
    const event = { phase, bytes, rate: secs > 0 ? Math.round(bytes / secs) : 0, ...detail };
    if (!force && !newStep && now - last < 250) {
      held = event;
      return;
    }
    if (newStep && held) send(held);
    held = undefined;
    last = now;
    send(event);
  };
}
