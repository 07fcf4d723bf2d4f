import type { CapacityForecast, DatabaseCapacityManager } from '@voicehive/db-capacity';
import { formatBytes } from '../../format/units.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';
import { formatTable } from '../table.js';
import { ONLY, openFeature } from './require-feature.js';

async function open(ctx: CommandContext) {
  const { suite, feature } = await openFeature<DatabaseCapacityManager>(ctx, 'capacity', {
    ...ONLY.capacity,
    capacityEnabled: true,
  });
  return { suite, capacity: feature };
}

/**
 * A trend cell for people: bytes in one unit family, counts as numbers, changes signed, and
 * `no history` where the samples do not reach back that far (an empty cell read as a bug).
 */
export function trendValue(unit: string, value: number | null, change: boolean): string {
  if (value === null) return change ? 'no history' : 'unknown';
  const sign = change ? (value > 0 ? '+' : value < 0 ? '-' : '±') : value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (unit === 'bytes') return `${sign}${formatBytes(abs)}`;
  const n = Number.isInteger(abs)
    ? abs.toLocaleString('en-US')
    : abs.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return `${sign}${n}`;
}

export async function capacityReport(ctx: CommandContext): Promise<number> {
  const { suite, capacity } = await open(ctx);
  await using _ = suite;
  if (ctx.values['no-sample'] !== true) await capacity.collectSample({ signal: ctx.signal });
  const d = await capacity.getCapacityDashboardData({ signal: ctx.signal });
  const human = [
    `Database size: ${formatBytes(d.current.database.sizeBytes)}   storage used: ${d.current.storage.usagePercent == null ? 'unknown limit' : `${d.current.storage.usagePercent.toFixed(1)}%`}`,
    '',
    formatTable(
      d.trends.map((t) => ({
        resource: t.resource,
        current: trendValue(t.unit, t.current, false),
        change1d: trendValue(t.unit, t.change1d, true),
        change7d: trendValue(t.unit, t.change7d, true),
        change30d: trendValue(t.unit, t.change30d, true),
      })),
    ),
    '',
    d.alerts.length
      ? formatTable(d.alerts.map((a) => ({ type: a.type, metric: a.metric, message: a.message })))
      : 'No capacity alerts.',
  ].join('\n');
  ctx.print(human, d);
  return d.alerts.some((a) => a.type === 'critical') ? EXIT.UNHEALTHY : EXIT.OK;
}

/** Change points for a table cell: `level +2.0 GB @2026-01-13, trend +200.0 MB/day @2026-01-20` (formatBytes units). */
export function describeChangePoints(f: Pick<CapacityForecast, 'unit' | 'changePoints'>): string {
  const size = (n: number) => (f.unit === 'bytes' ? formatBytes(Math.abs(n)) : Math.abs(n).toFixed(1));
  return f.changePoints
    .map(
      (c) =>
        `${c.kind} ${c.size >= 0 ? '+' : '-'}${size(c.size)}${c.kind === 'trend' ? '/day' : ''} @${c.at.slice(0, 10)}`,
    )
    .join(', ');
}

export async function capacityForecast(ctx: CommandContext): Promise<number> {
  const { suite, capacity } = await open(ctx);
  await using _ = suite;
  const forecasts = await capacity.getForecasts({ signal: ctx.signal });
  const rows = forecasts.map((f) => ({
    resource: f.resource,
    status: f.status,
    model: f.model ?? '',
    growthPerDay: f.growthPerDay,
    daysUntilLimit: f.daysUntilLimit.pessimistic,
    changes: describeChangePoints(f),
    reason: f.reason ?? '',
  }));
  ctx.print(formatTable(rows), forecasts);
  return EXIT.OK;
}
