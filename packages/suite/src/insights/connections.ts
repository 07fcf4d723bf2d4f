import type { Database } from '@voicehive/db-core';

export interface ConnectionBreakdown {
  total: number;
  maxConnections: number;
  /** max_connections minus the slots reserved for superusers (and PG16+ reserved_connections). */
  usable: number;
  byState: Array<{ key: string; count: number }>;
  byApplication: Array<{ key: string; count: number }>;
  byClient: Array<{ key: string; count: number }>;
}

/** Client backends of the whole server by state, application and client address, against max_connections. */
export async function readConnections(
  db: Database,
  options: { signal?: AbortSignal } = {},
): Promise<ConnectionBreakdown> {
  const { rows } = await db.query<{ state: string | null; app: string | null; client: string | null; n: string }>(
    `SELECT coalesce(state, 'unknown') AS state, nullif(application_name, '') AS app,
            coalesce(host(client_addr), 'local socket') AS client, count(*) AS n
       FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2, 3`,
    [],
    { signal: options.signal },
  );
  const { rows: settings } = await db.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings
      WHERE name IN ('max_connections', 'superuser_reserved_connections', 'reserved_connections')`,
    [],
    { signal: options.signal },
  );
  const setting = (n: string) => Number(settings.find((s) => s.name === n)?.setting ?? 0);
  const group = (key: (r: (typeof rows)[number]) => string) => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + Number(r.n));
    return [...m].map(([k, count]) => ({ key: k, count })).sort((a, b) => b.count - a.count);
  };
  const max = setting('max_connections');
  return {
    total: rows.reduce((a, r) => a + Number(r.n), 0),
    maxConnections: max,
    usable: max - setting('superuser_reserved_connections') - setting('reserved_connections'),
    byState: group((r) => r.state ?? 'unknown'),
    byApplication: group((r) => r.app ?? '(none)'),
    byClient: group((r) => r.client ?? 'local socket'),
  };
}
