import { createDatabase, type Database } from '@voicehive/db-core';
import {
  createTestDatabase,
  getSharedPostgres,
  loadHotelWorkload,
  runHotelWorkload,
  type TestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabasePerformanceOptimizer } from '../src/index.js';
import { exec } from './helpers.js';

/*
 * Issue #15 §5: status reads the latest stored analysis instead of running the advisor; issue #13 §2: the
 * planning session the report opens is closed when the report is aborted during the advisor.
 */
const server = await getSharedPostgres();
let t: TestDatabase;

const advisorSessions = async (url: string): Promise<number> =>
  Number(
    (
      await exec(
        url,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'voicehive-dbrs-advisor' AND datname = current_database()",
      )
    ).rows[0]!.n,
  );

beforeAll(async () => {
  t = await createTestDatabase(server);
  await loadHotelWorkload(t.url, { scale: 1, seed: 1 });
  await exec(
    t.url,
    'SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)',
  );
  await runHotelWorkload(t.url, { iterations: 10, seed: 3 });
}, 180_000);

afterAll(async () => {
  await t?.drop();
});

describe('stored analysis', () => {
  it('keeps the latest report in memory and in the analysis table, and reads it back without planning', async () => {
    const table = 'public.dbrs_performance_analysis';
    const first = new DatabasePerformanceOptimizer(t.url, { analysisTable: table, advisor: { minTableRows: 100 } });
    let generatedAt: string;
    try {
      expect(await first.getStoredAnalysis()).toBeNull();
      const report = await first.getPerformanceReport();
      generatedAt = report.generatedAt;
      const mine = await first.getStoredAnalysis();
      expect(mine?.source).toBe('memory');
      expect(mine?.report.generatedAt).toBe(generatedAt);
      expect(mine!.ageMs).toBeGreaterThanOrEqual(0);
    } finally {
      await first.close();
    }
    // Another process (here: another optimizer on its own pool) reads what the first stored.
    const db: Database = createDatabase(t.url);
    const sent: string[] = [];
    const query = db.query.bind(db);
    db.query = ((text: string, values?: unknown[], options?: object) => {
      sent.push(text);
      return query(text, values, options);
    }) as typeof db.query;
    const second = new DatabasePerformanceOptimizer(db, { analysisTable: table });
    try {
      const stored = await second.getStoredAnalysis();
      expect(stored?.source).toBe('table');
      expect(stored?.report.generatedAt).toBe(generatedAt);
      expect(stored?.report.advisor.mode).toBe(server.hasHypopg ? 'hypopg' : 'heuristic');
      // Two reads of the table; no pg_stat_statements, no catalog scan, no EXPLAIN.
      expect(sent).toHaveLength(2);
      expect(sent.every((s) => /dbrs_performance_analysis|to_regclass/.test(s))).toBe(true);
      expect(await second.getStoredAnalysis({ maxAgeMs: 0 })).toBeNull();
      // A refresh replaces it for everyone.
      const refreshed = await second.refreshAnalysis();
      expect(Date.parse(refreshed.generatedAt)).toBeGreaterThan(Date.parse(generatedAt));
      const rows = await exec(t.url, `SELECT generated_at FROM ${table}`);
      expect(rows.rows).toHaveLength(1);
      expect(new Date(rows.rows[0]!.generated_at).toISOString()).toBe(refreshed.generatedAt);
    } finally {
      await second.close();
      await db.close();
    }
  }, 180_000);

  it('rejects an analysis table name that is not a plain identifier', () => {
    expect(() => new DatabasePerformanceOptimizer(t.url, { analysisTable: 'x; DROP TABLE y' })).toThrow(
      /analysisTable must be "table" or "schema.table"/,
    );
  });
});

describe('abort during the advisor', () => {
  it('closes the planning session it opened', async () => {
    const optimizer = new DatabasePerformanceOptimizer(t.url, { advisor: { minTableRows: 100 } });
    try {
      await optimizer.initialize();
      expect(await advisorSessions(t.url)).toBe(0);
      const controller = new AbortController();
      const running = optimizer.getPerformanceReport({ signal: controller.signal });
      running.catch(() => {});
      // Abort once the planning session is open, i.e. while the advisor plans.
      let open = 0;
      for (let i = 0; i < 400 && open === 0; i++) {
        open = await advisorSessions(t.url);
        if (open === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(open).toBe(1);
      controller.abort();
      await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
      // The session is closed before the rejection arrives; the server may need a moment to drop the backend.
      let left = 1;
      for (let i = 0; i < 50 && left > 0; i++) {
        left = await advisorSessions(t.url);
        if (left > 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(left).toBe(0);
    } finally {
      await optimizer.close();
    }
  }, 120_000);
});
