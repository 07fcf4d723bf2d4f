import { setTimeout as sleep } from 'node:timers/promises';
import { quoteQualified } from '@voicehive/db-core';
import pg from 'pg';

export interface ProbeImpact {
  tables: string[];
  probes: number;
  /** Distinct probe sessions seen waiting on a lock held by the migration. */
  blockedSessions: number;
  worstProbeLatencyMs: number;
  worstProbe: string | null;
  failedProbes: number;
}

/**
 * Concurrent read/write probes on the tables a migration touches, while it
 * runs on the scratch copy: `SELECT ... LIMIT 1` and `DELETE ... WHERE false`
 * (which takes the ROW EXCLUSIVE lock of a write without changing data). A
 * monitor on one more connection counts probe sessions blocked by the
 * migrating backend (pg_blocking_pids).
 */
export class ProbeLoad {
  readonly #config: pg.ClientConfig;
  readonly #tables: string[];
  readonly #intervalMs: number;
  #running = false;
  #loops: Promise<void>[] = [];
  #clients: pg.Client[] = [];
  #impact: ProbeImpact;
  #blocked = new Set<number>();

  constructor(config: pg.ClientConfig, tables: string[], intervalMs = 20) {
    this.#config = config;
    this.#tables = tables.slice(0, 5);
    this.#intervalMs = intervalMs;
    this.#impact = {
      tables: this.#tables,
      probes: 0,
      blockedSessions: 0,
      worstProbeLatencyMs: 0,
      worstProbe: null,
      failedProbes: 0,
    };
  }

  async start(migratingPid: number): Promise<void> {
    this.#running = true;
    for (const table of this.#tables) {
      const client = await this.#connect('voicehive-dbrs-probe');
      const [schema, name] = table.split('.') as [string, string];
      const target = quoteQualified(schema, name);
      const queries = [`SELECT 1 FROM ${target} LIMIT 1`, `DELETE FROM ${target} WHERE false`];
      this.#loops.push(this.#probeLoop(client, queries));
    }
    const monitor = await this.#connect('voicehive-dbrs-probe-monitor');
    this.#loops.push(
      (async () => {
        while (this.#running) {
          try {
            const res = await monitor.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND $1 = ANY(pg_blocking_pids(pid))`,
              [migratingPid],
            );
            for (const r of res.rows) this.#blocked.add(r.pid);
          } catch {
            return;
          }
          await sleep(this.#intervalMs);
        }
      })(),
    );
  }

  async stop(): Promise<ProbeImpact> {
    this.#running = false;
    await Promise.all(this.#loops);
    await Promise.all(this.#clients.map((c) => c.end().catch(() => {})));
    const probePids = new Set(this.#clients.map((c) => (c as unknown as { processID: number }).processID));
    this.#impact.blockedSessions = [...this.#blocked].filter((p) => probePids.has(p)).length;
    return this.#impact;
  }

  async #connect(name: string): Promise<pg.Client> {
    const client = new pg.Client({ ...this.#config, application_name: name, statement_timeout: 120_000 });
    client.on('error', () => {});
    await client.connect();
    this.#clients.push(client);
    return client;
  }

  async #probeLoop(client: pg.Client, queries: string[]): Promise<void> {
    let i = 0;
    while (this.#running) {
      const q = queries[i++ % queries.length]!;
      const t0 = performance.now();
      try {
        await client.query(q);
      } catch {
        // The migration may drop or rename the table; a failing probe measures nothing more.
        this.#impact.failedProbes++;
        return;
      }
      const dt = performance.now() - t0;
      this.#impact.probes++;
      if (dt > this.#impact.worstProbeLatencyMs) {
        this.#impact.worstProbeLatencyMs = dt;
        this.#impact.worstProbe = q;
      }
      await sleep(this.#intervalMs);
    }
  }
}
