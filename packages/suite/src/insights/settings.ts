import type { Database } from '@voicehive/db-core';

export interface ServerSetting {
  name: string;
  /** With its unit applied, as SHOW prints it ("128MB", "5min"). */
  value: string;
  /** The built-in default, as SHOW would print it; null when PostgreSQL does not report one. */
  defaultValue: string | null;
  /** Set somewhere (configuration file, ALTER SYSTEM, command line, …) rather than built in. */
  changed: boolean;
  source: string;
  description: string;
}

/** The settings that decide memory, planning, WAL, autovacuum, logging and connections (PgHero's list and more). */
export const SETTINGS_THAT_MATTER = [
  'max_connections',
  'shared_buffers',
  'effective_cache_size',
  'work_mem',
  'maintenance_work_mem',
  'random_page_cost',
  'effective_io_concurrency',
  'default_statistics_target',
  'checkpoint_timeout',
  'max_wal_size',
  'min_wal_size',
  'wal_buffers',
  'wal_level',
  'synchronous_commit',
  'autovacuum',
  'autovacuum_max_workers',
  'autovacuum_naptime',
  'autovacuum_vacuum_scale_factor',
  'autovacuum_analyze_scale_factor',
  'autovacuum_vacuum_cost_limit',
  'autovacuum_freeze_max_age',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'log_min_duration_statement',
  'track_io_timing',
  'track_activity_query_size',
  'shared_preload_libraries',
  'max_parallel_workers_per_gather',
  'jit',
];

export async function readSettings(db: Database, options: { signal?: AbortSignal } = {}): Promise<ServerSetting[]> {
  const { rows } = await db.query<Record<string, string | null>>(
    `SELECT name, current_setting(name) AS value, source, short_desc, boot_val, unit, vartype
       FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
    [SETTINGS_THAT_MATTER],
    { signal: options.signal },
  );
  return rows.map((r) => ({
    name: String(r['name']),
    value: String(r['value']),
    defaultValue:
      r['boot_val'] === null ? null : withUnit(String(r['boot_val']), r['unit'] ?? null, r['vartype'] ?? ''),
    changed: !['default', 'override'].includes(String(r['source'])),
    source: String(r['source']),
    description: String(r['short_desc'] ?? ''),
  }));
}

/** boot_val is in the setting's unit ("16384" of "8kB"): show it as SHOW would, so both columns compare. */
function withUnit(raw: string, unit: string | null, type: string): string {
  if (!unit || (type !== 'integer' && type !== 'real')) return raw;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) return raw;
  const m = /^(\d+)?(B|kB|MB|GB|ms|s|min)$/.exec(unit);
  if (!m) return `${raw}${unit}`;
  const factor = Number(m[1] ?? 1);
  const base = m[2]!;
  if (['B', 'kB', 'MB', 'GB'].includes(base)) {
    const bytes = n * factor * { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[base as 'B']!;
    for (const [u, size] of [
      ['GB', 1024 ** 3],
      ['MB', 1024 ** 2],
      ['kB', 1024],
    ] as const)
      if (bytes >= size && bytes % size === 0) return `${bytes / size}${u}`;
    return `${bytes}B`;
  }
  const ms = n * factor * { ms: 1, s: 1000, min: 60_000 }[base as 'ms']!;
  if (ms === 0) return '0';
  for (const [u, size] of [
    ['d', 86_400_000],
    ['h', 3600_000],
    ['min', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${u}`;
  return `${ms}ms`;
}
