import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';
import { formatTable } from '../table.js';

export async function maintenanceRunCommand(ctx: CommandContext): Promise<number> {
  await using suite = await ctx.openSuite();
  const result = await suite.runMaintenanceCycle({
    signal: ctx.signal,
    force: ctx.values['force'] === true,
    lockTimeoutMs: ctx.num('wait-ms') ?? 0,
    actor: 'cli',
  });
  const human = result.ran
    ? `${result.tasksCompleted} completed, ${result.tasksFailed} failed, ${result.tasksSkipped} not due (${Math.round(result.durationMs)} ms)\n\n${formatTable(result.tasks.map((t) => ({ task: t.task, outcome: t.outcome, ms: Math.round(t.durationMs), error: t.error ?? '' })))}`
    : `Skipped: ${result.reason}`;
  ctx.print(human, result);
  return result.tasksFailed > 0 ? EXIT.FAILURE : EXIT.OK;
}
