import {
  type MigrationTestReport,
  runMigrationTests,
  type TestMigrationsOptions,
} from '../rehearsal/test-migrations.js';
import { applyOptions } from './apply-one.js';
import type { LoadedState, OperationContext, RunHooks } from './context.js';
import { selectPending } from './pending.js';

/** Tests the pending migrations of `loaded` on a scratch copy (up, down, up with lock tracing). */
export async function testPending(
  ctx: OperationContext,
  { sources, state }: LoadedState,
  options: TestMigrationsOptions,
  hooks: RunHooks = {},
): Promise<MigrationTestReport> {
  const pending = selectPending(state, options.targetRevision);
  return runMigrationTests(ctx.db, sources, pending, {
    ...ctx.opts.testOptions,
    ...options,
    storage: ctx.storage,
    apply: applyOptions(ctx, { ...hooks, ...(options.signal ? { signal: options.signal } : {}) }),
    logger: ctx.logger,
  });
}
