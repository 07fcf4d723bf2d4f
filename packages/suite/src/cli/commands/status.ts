import { errorMessage, isDbrsError } from '@voicehive/db-core';
import { COMPONENT_NAMES, type ComprehensiveStatus } from '../../status/types.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';
import { formatTable } from '../table.js';

const UNREACHABLE = ['CONNECTION_FAILED', 'AUTHENTICATION_FAILED', 'TIMEOUT'] as const;

export async function statusCommand(ctx: CommandContext): Promise<number> {
  let status: ComprehensiveStatus;
  try {
    // A person at a terminal would rather wait for a full report than read "took longer than 5000 ms".
    await using suite = await ctx.openSuite({}, { componentTimeoutMs: ctx.num('timeout-ms') ?? 30_000 });
    status = await suite.getComprehensiveStatus({ signal: ctx.signal });
  } catch (err) {
    // An unreachable database is a status to report (exit 3), not a crash of the command.
    if (!UNREACHABLE.some((code) => isDbrsError(err, code))) throw err;
    const message = errorMessage(err);
    status = {
      overallHealth: 'unhealthy',
      components: Object.fromEntries(
        COMPONENT_NAMES.map((n) => [
          n,
          n === 'database'
            ? { status: 'unhealthy', message, durationMs: 0 }
            : { status: 'not_available', message: 'not checked: the database is unreachable', durationMs: 0 },
        ]),
      ) as ComprehensiveStatus['components'],
      issues: [
        {
          severity: 'critical',
          component: 'database',
          message,
          action: 'Check that PostgreSQL is running and the connection settings are right.',
        },
      ],
      generatedAt: new Date().toISOString(),
    };
  }
  const components = Object.entries(status.components).map(([name, c]) => ({
    component: name,
    status: c.status,
    message: c.message ?? '',
    ms: Math.round(c.durationMs),
  }));
  // Issues are prose with a statement to run: a list reads better than a table whose cells get cut.
  const issues = status.issues.map((i) =>
    [`[${i.severity}] ${i.component}: ${i.message}`, `    → ${i.action}`, ...(i.sql ? [`      ${i.sql}`] : [])].join(
      '\n',
    ),
  );
  ctx.print(
    [
      `Overall health: ${status.overallHealth}`,
      '',
      formatTable(components),
      '',
      issues.length ? `Issues (${issues.length}):\n${issues.join('\n')}` : 'No issues.',
    ].join('\n'),
    status,
  );
  return status.overallHealth === 'unhealthy' ? EXIT.UNHEALTHY : EXIT.OK;
}
