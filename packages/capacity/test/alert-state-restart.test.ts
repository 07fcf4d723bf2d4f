import { createDatabase, type Database } from '@voicehive/db-core';
import { createTestDatabase, getSharedPostgres, type PostgresServer, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseCapacityManager } from '../src/manager.js';
import { MemorySampleStore } from '../src/store/memory-store.js';

let server: PostgresServer;
let testDb: TestDatabase;
let admin: Database;
/** Storage used by this database (all databases + WAL), as the collector measures it. */
let used: number;

beforeAll(async () => {
  server = await getSharedPostgres();
  testDb = await createTestDatabase(server);
  admin = createDatabase(testDb.url);
  await using probe = new DatabaseCapacityManager(testDb.url, {
    store: new MemorySampleStore(),
    storageLimitBytes: 2 ** 50,
  });
  await probe.initialize();
  used = (await probe.collectSample()).snapshot.storage.usedBytes!;
});
afterAll(async () => {
  await admin?.close();
  await testDb?.drop();
});

/** A manager on the shared history table whose storage quota puts usage at about `percent`. */
async function managerAt(percent: number, table: string) {
  const m = new DatabaseCapacityManager(testDb.url, { storageLimitBytes: Math.round((100 * used) / percent), table });
  await m.initialize();
  return m;
}

async function dashboardAlerts(m: DatabaseCapacityManager, at: Date) {
  await m.collectSample({ at });
  const dash = await m.getCapacityDashboardData({ now: at });
  return dash.alerts.filter((a) => a.metric === 'storage_usage_percent').map((a) => a.type);
}

describe('alert hysteresis state lives with the samples (real PostgreSQL)', () => {
  it('a warning fired before a restart holds after it while usage sits between the clear line (75%) and the threshold (80%), then clears below 75%', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    // Sample 1, first process: 82% fires the warning.
    {
      await using first = await managerAt(82, 'alert_restart');
      expect(await dashboardAlerts(first, new Date(t0))).toEqual(['warning']);
    }
    // Sample 2, a new process (restart) on the same table: 77% is under the threshold but above the clear line.
    {
      await using second = await managerAt(77, 'alert_restart');
      expect(await dashboardAlerts(second, new Date(t0 + 3_600_000))).toEqual(['warning']);
    }
    // The state is rows in the history table (in the suite's state schema), readable by any replica.
    const rows = await admin.query<{ metric: string; value: number }>(
      `SELECT metric, value FROM dbrs.alert_restart WHERE metric LIKE 'alert_active:%' ORDER BY ts`,
    );
    expect(rows.rows).toEqual([{ metric: 'alert_active:storage_usage_percent:warning', value: 1 }]);
    // Sample 3, another restart: 70% is below the clear line, so the warning clears and the clearing is stored.
    {
      await using third = await managerAt(70, 'alert_restart');
      expect(await dashboardAlerts(third, new Date(t0 + 2 * 3_600_000))).toEqual([]);
    }
    const after = await admin.query<{ value: number }>(
      `SELECT value FROM dbrs.alert_restart WHERE metric = 'alert_active:storage_usage_percent:warning' ORDER BY ts`,
    );
    expect(after.rows.map((r) => r.value)).toEqual([1, 0]);
  });

  it('control: without stored state (a fresh table), the same 77% reading raises nothing', async () => {
    await using fresh = await managerAt(77, 'alert_restart_control');
    expect(await dashboardAlerts(fresh, new Date(Date.UTC(2026, 0, 1)))).toEqual([]);
  });

  it('two replicas on one table agree: one fires, the other (never evaluated before) holds it at 77%', async () => {
    const t0 = Date.UTC(2026, 0, 2);
    await using a = await managerAt(85, 'alert_replicas');
    await using b = await managerAt(77, 'alert_replicas');
    expect(await dashboardAlerts(a, new Date(t0))).toEqual(['warning']);
    expect(await dashboardAlerts(b, new Date(t0 + 60_000))).toEqual(['warning']);
  });
});
