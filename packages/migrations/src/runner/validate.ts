import { DbrsError } from '@voicehive/db-core';
import type { MigrationSource } from '../sources/types.js';
import type { AppliedMigration } from './storage.js';

export interface MigrationState {
  applied: AppliedMigration[];
  pending: MigrationSource[];
  /** Applied migrations whose file changed since. */
  checksumMismatches: Array<{ name: string; recorded: string; current: string }>;
  /** Applied migrations whose file is gone. */
  missingFiles: string[];
  /** Pending migrations that sort before the last applied one. */
  outOfOrder: string[];
}

export function computeState(sources: MigrationSource[], applied: AppliedMigration[]): MigrationState {
  const byName = new Map(sources.map((s) => [s.name, s]));
  const appliedNames = new Set(applied.map((a) => a.name));
  const last = applied
    .map((a) => a.name)
    .sort()
    .at(-1);
  const pending = sources.filter((s) => !appliedNames.has(s.name));
  return {
    applied,
    pending,
    checksumMismatches: applied
      .filter((a) => byName.has(a.name) && byName.get(a.name)!.checksum !== a.checksum)
      .map((a) => ({ name: a.name, recorded: a.checksum, current: byName.get(a.name)!.checksum })),
    missingFiles: applied.filter((a) => !byName.has(a.name)).map((a) => a.name),
    outOfOrder: last === undefined ? [] : pending.filter((p) => p.name < last).map((p) => p.name),
  };
}

/** Refuses to run when history and files disagree; `repair` and allowOutOfOrder are the explicit ways out. */
export function assertRunnable(state: MigrationState, options: { allowOutOfOrder: boolean }): void {
  if (state.checksumMismatches.length > 0) {
    const names = state.checksumMismatches.map((c) => c.name).join(', ');
    throw new DbrsError(
      'MIGRATION_CHECKSUM_MISMATCH',
      `Applied migration(s) ${names} changed on disk since they were applied.`,
      {
        hint: 'Restore the original file, or if the change is intentional (e.g. a comment), accept it with repair(name) (CLI: dbrs migrate repair <name> --yes). Never edit applied migrations to change the schema: add a new migration.',
        details: { mismatches: state.checksumMismatches },
      },
    );
  }
  if (state.outOfOrder.length > 0 && !options.allowOutOfOrder) {
    throw new DbrsError(
      'MIGRATION_ORDER',
      `Pending migration(s) ${state.outOfOrder.join(', ')} sort before the last applied migration.`,
      {
        hint: 'Rename them so they come after the applied ones, or set allowOutOfOrder: true if applying them out of order is safe.',
        details: { outOfOrder: state.outOfOrder },
      },
    );
  }
}
