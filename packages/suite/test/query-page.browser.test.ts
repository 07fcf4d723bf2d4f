import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDatabase, type Database } from '@voicehive/db-core';
import { requireComponent, useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, type RunningServer } from '../src/index.js';
import { CHROMIUM, withBrowserPage } from './support/browser.js';
import { sql } from './support/suite-helpers.js';

const hasChromium = requireComponent('chromium', existsSync(CHROMIUM), 'apt-get install chromium');
const ARTIFACTS = resolve(import.meta.dirname, '../../../.ci/artifacts/query-page');
const VIEWER = 'viewer-key-0123456789abcdef';
const MARKER = 'rooms_matching_the_screenshot_marker';
const LONG = `SELECT r.id, r.name, r.floor, r.kind, r.note, count(*) OVER () AS ${MARKER}
  FROM rooms r WHERE r.floor = $1 AND r.kind = $2 AND r.note IS DISTINCT FROM $3 ORDER BY r.name, r.id LIMIT 20`;

/**
 * The per-query page as a person reaches it in headless Chromium with
 * JavaScript off: from the queries table's link to the whole statement and
 * the charts of its stored history, saved as a screenshot
 * (.ci/artifacts/query-page/query-page.png; a copy is docs/screenshots/query-page.png).
 */
describe.skipIf(!hasChromium)('query page in headless Chromium (real PostgreSQL, stored snapshots)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  let suite: DatabaseReliabilitySuite;
  let server: RunningServer;
  let app: Database;
  let queryid = '';
  let scratch = '';

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE rooms (id int PRIMARY KEY, name text, floor int, kind text, note text);
       INSERT INTO rooms SELECT i, 'room ' || i, i % 3, 'double', NULL FROM generate_series(1, 500) i;`,
    );
    app = createDatabase(db.url, { poolMax: 1, applicationName: 'planted-app' });
    suite = await createDatabaseReliabilitySuite(db.url, {
      backupEnabled: false,
      migrationsEnabled: false,
      capacityEnabled: false,
      logLevel: 'silent',
    });
    const snapshot = suite.maintenanceTasks().find((t) => t.name === 'performance.snapshot')!;
    // Four snapshots, 3, 8 and 5 calls between them: three points on each chart.
    for (const calls of [1, 3, 8, 5]) {
      for (let i = 0; i < calls; i++) await app.pool.query(LONG, [i % 3, 'double', 'x']);
      await snapshot.run(new AbortController().signal);
    }
    queryid = (
      await sql<{ id: string }>(
        db.url,
        `SELECT queryid::text AS id FROM pg_stat_statements WHERE query LIKE '%${MARKER}%' AND query NOT LIKE '%pg_stat_statements%'`,
      )
    )[0]!.id;
    server = await suite.serve({
      host: '127.0.0.1',
      port: 0,
      apiKey: 'operator-key-0123456789abcdef',
      roles: { viewer: VIEWER },
    });
    scratch = mkdtempSync(join(tmpdir(), 'dbrs-chromium-query-'));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await suite?.shutdown();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('a viewer follows the link from the queries table to the full statement and its history charts', async () => {
    await withBrowserPage(
      scratch,
      { javaScriptEnabled: false, viewport: { width: 1200, height: 900 } },
      async (page) => {
        await page.goto(`${server.url}/`);
        await page.fill('input[name="key"]', VIEWER);
        await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
        await Promise.all([
          page.waitForURL(`${server.url}/queries/${queryid}`),
          page.click(`#queries a[href="/queries/${queryid}"] >> nth=0`),
        ]);
        const full = (await page.textContent('[data-testid="full-sql"]')) ?? '';
        expect(full.length).toBeGreaterThan(160);
        expect(full).toContain(MARKER);
        expect(await page.textContent('#query')).toContain('17 calls');
        expect(await page.textContent('#history')).toContain('3 snapshots with calls, 16 calls in them.');
        for (const chart of ['mean-time', 'calls']) {
          const svg = page.locator(`svg[data-chart="${chart}"]`);
          expect(await svg.getAttribute('data-points')).toBe('3');
          expect((await svg.boundingBox())?.width ?? 0).toBeGreaterThan(200);
        }
        const shot = join(ARTIFACTS, 'query-page.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
      },
    );
  }, 240_000);
});
