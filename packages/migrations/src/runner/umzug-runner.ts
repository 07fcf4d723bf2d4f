import type { Umzug } from 'umzug';
import type { MigrationSource } from '../sources/types.js';
import type { Direction, MigrationOutcome } from './apply.js';

/**
 * Umzug does the ordering and bookkeeping of which migrations to run. It is
 * given a storage whose logMigration/unlogMigration do nothing: the log row
 * is written by `apply` inside the migration's own transaction, because
 * umzug's separate log call would record a migration whose transaction then
 * failed (umzug#708) or forget one that committed.
 *
 * Umzug is imported here, when migrations are applied or rolled back, not with the package: its index loads its
 * CLI (@rushstack/ts-command-line, fs-extra, argparse: about 100 modules), which `dbrs status` and every
 * read-only command would otherwise load for nothing.
 */
export async function createUmzug(
  sources: MigrationSource[],
  appliedNames: () => Promise<string[]>,
  apply: (m: MigrationSource, direction: Direction) => Promise<MigrationOutcome>,
): Promise<Umzug<object>> {
  const { Umzug } = await import('umzug');
  return new Umzug<object>({
    migrations: sources.map((m) => ({
      name: m.name,
      path: m.path,
      up: async () => {
        await apply(m, 'up');
      },
      down: async () => {
        await apply(m, 'down');
      },
    })),
    context: {},
    storage: {
      executed: async () => appliedNames(),
      logMigration: async () => {},
      unlogMigration: async () => {},
    },
    logger: undefined,
  });
}

/** Umzug wraps migration errors in MigrationError; callers want the original DbrsError. */
export function unwrapUmzugError(err: unknown): unknown {
  let e = err as { name?: string; cause?: unknown; jse_cause?: unknown } | undefined;
  while (e && e.name === 'MigrationError' && (e.cause ?? e.jse_cause)) e = (e.cause ?? e.jse_cause) as typeof e;
  return e;
}
