import { createDatabase } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';
import { sql } from './support/suite-helpers.js';

/*
 * Issue #15 §5: status never runs the index advisor. It answers from the stored analysis (memory, or the
 * analysis table another process's maintenance cycle wrote, e.g. for `dbrs status`); with none stored yet,
 * from a quick report without the advisor, and says so.
 */
describe('performance status from the stored analysis (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const config = { backupEnabled: false, migrationsEnabled: false, capacityEnabled: false, logLevel: 'silent' };
  let a: DatabaseReliabilitySuite;
  let b: DatabaseReliabilitySuite | undefined;

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE ticket (id int PRIMARY KEY, queue int, note text);
       INSERT INTO ticket SELECT g, g % 2000, 'n' FROM generate_series(1, 50000) g;
       ANALYZE ticket`,
    );
    // The load above is not the workload (its INSERT would be charged as index writes).
    await sql(db.url, 'SELECT pg_stat_statements_reset()');
    // The application's own connection: what core sends is tagged as the suite's and left out of the advice.
    // (a checked-out client sends its text as is).
    await using app = createDatabase(db.url, { poolMax: 1, applicationName: 'ticket-app' });
    await app.withClient(async (c) => {
      for (let i = 0; i < 50; i++) await c.query('SELECT id FROM ticket WHERE queue = $1', [i]);
    });
    a = await createDatabaseReliabilitySuite(db.url, config);
  }, 120_000);
  afterAll(async () => {
    await b?.shutdown();
    await a?.shutdown();
  });

  const table = async () =>
    (await sql<{ t: string | null }>(db.url, `SELECT to_regclass('dbrs.dbrs_performance_analysis')::text AS t`))[0]!.t;

  it('with nothing stored, answers without the advisor, says so, and creates nothing', async () => {
    const status = await a.getComprehensiveStatus();
    const perf = status.components.performance;
    expect(perf.details?.['analysis']).toBe('none');
    expect(perf.details?.['indexRecommendations']).toBe(0);
    expect(perf.message).toMatch(/index advice not analysed yet/);
    expect(
      status.issues.some((i) => i.component === 'performance' && /no performance analysis is stored/.test(i.message)),
    ).toBe(true);
    expect(await table()).toBeNull();
  });

  it('after the maintenance cycle stores one, reads it: in this process from memory, in another from the table', async () => {
    const cycle = await a.runMaintenanceCycle();
    expect(cycle.tasks.find((t) => t.task === 'performance.analysis')?.outcome).toBe('completed');
    expect(await table()).toBe('dbrs.dbrs_performance_analysis');

    const mine = (await a.getComprehensiveStatus()).components.performance;
    expect(mine.details?.['analysis']).toMatchObject({ source: 'memory' });
    expect(mine.details?.['indexRecommendations']).toBeGreaterThan(0);
    expect(mine.message).toMatch(/index recommendations \(analysis \d+ s old\)/);

    // Another instance (as `dbrs status` is): the same analysis, read from the table, not computed again.
    b = await createDatabaseReliabilitySuite(db.url, config);
    const other = (await b.getComprehensiveStatus()).components.performance;
    expect(other.details?.['analysis']).toMatchObject({ source: 'table' });
    expect(other.details?.['reportAt']).toBe(mine.details?.['reportAt']);
    expect(other.details?.['indexRecommendations']).toBe(mine.details?.['indexRecommendations']);
  });
});
