import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDatabase, type Database } from '@voicehive/db-core';
import { requireComponent, useTestDatabase } from '@voicehive/db-testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, type RunningServer } from '../src/index.js';
import { CHROMIUM, withBrowserPage } from './support/browser.js';
import { sql } from './support/suite-helpers.js';

const hasChromium = requireComponent('chromium', existsSync(CHROMIUM), 'apt-get install chromium');
const ARTIFACTS = resolve(import.meta.dirname, '../../../.ci/artifacts/page-sections');
const OPERATOR = 'operator-key-0123456789abcdef';
const VIEWER = 'viewer-key-0123456789abcdef';

interface HeldClient {
  processID: number;
  query(text: string): Promise<unknown>;
  release(destroy?: boolean): void;
}

/**
 * The PgHero sections of the page, rendered by headless Chromium from a real
 * database with planted problems: each section shows them, an operator can
 * run actions and a viewer cannot, and every section is saved as a
 * screenshot under .ci/artifacts/page-sections (gitignored).
 */
describe.skipIf(!hasChromium)('page sections in headless Chromium (real PostgreSQL, planted problems)', () => {
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 0.02, seed: 5 } });
  let suite: DatabaseReliabilitySuite;
  let server: RunningServer;
  let sessions: Database;
  const held: HeldClient[] = [];
  const running: Promise<unknown>[] = [];
  let scratch: string;

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE orders (id serial PRIMARY KEY, status text, note text);
       INSERT INTO orders (status, note) SELECT 'done', repeat('x', 20) FROM generate_series(1, 5000);
       CREATE INDEX orders_status_a ON orders (status);
       CREATE INDEX orders_status_b ON orders (status);
       SELECT setval('orders_id_seq', 2100000000);
       CREATE TABLE events (id int, v text) WITH (autovacuum_enabled = false);
       INSERT INTO events SELECT i, 'v' FROM generate_series(1, 10000) i;
       DELETE FROM events WHERE id % 10 <> 0;`,
    );
    sessions = createDatabase(db.url, { poolMax: 3, applicationName: 'planted-app' });
    sessions.pool.on('connect', (c) => c.on('error', () => {}));
    sessions.pool.on('error', () => {});
    // On the raw pool: what core's Database sends is tagged as the suite's own and not listed as workload.
    for (let i = 0; i < 12; i++)
      await sessions.pool.query('SELECT pg_sleep(0.2), count(*) FROM orders WHERE note = $1', ['y']);
    const blocker = (await sessions.pool.connect()) as unknown as HeldClient;
    held.push(blocker);
    await blocker.query('BEGIN');
    await blocker.query("UPDATE orders SET status = 'held' WHERE id = 1");
    const waiter = (await sessions.pool.connect()) as unknown as HeldClient;
    held.push(waiter);
    running.push(waiter.query("UPDATE orders SET status = 'waiting' WHERE id = 1").catch(() => {}));
    await new Promise((r) => setTimeout(r, 1_500));
    suite = await createDatabaseReliabilitySuite(
      db.url,
      { backupEnabled: false, migrationsEnabled: false, logLevel: 'silent' },
      { componentTimeoutMs: 90_000 },
    );
    server = await suite.serve({ host: '127.0.0.1', port: 0, apiKey: OPERATOR, roles: { viewer: VIEWER } });
    scratch = mkdtempSync(join(tmpdir(), 'dbrs-chromium-sections-'));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await sessions
      ?.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'planted-app' AND pid <> pg_backend_pid()",
      )
      .catch(() => {});
    await Promise.allSettled(running);
    for (const c of held) c.release(true);
    await sessions?.close();
    await suite?.shutdown();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const browse = <T>(fn: (page: Page) => Promise<T>): Promise<T> =>
    withBrowserPage(scratch, { javaScriptEnabled: true, viewport: { width: 1400, height: 1000 } }, fn);

  const signIn = async (page: Page, key: string) => {
    await page.goto(`${server.url}/`);
    await page.fill('input[name="key"]', key);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
  };

  it('renders every section with the planted problems and saves a screenshot of each', async () => {
    await browse(async (page) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await signIn(page, OPERATOR);
      // Overview first: the issues come before the component table.
      const order = await page.locator('main section').evaluateAll((sections) => sections.map((s) => s.id));
      expect(order.indexOf('issues')).toBeLessThan(order.indexOf('components'));
      for (const id of [
        'overview',
        'queries',
        'live-queries',
        'space',
        'maintenance',
        'connections',
        'settings',
        'explain',
        'index-recommendations',
        'backups',
        'capacity',
      ])
        expect(await page.locator(`#${id}`).count(), id).toBe(1);
      expect(await page.locator('nav.sections a').count()).toBe(11);

      const text = async (id: string) => (await page.textContent(`#${id}`)) ?? '';
      expect(await text('issues')).toContain('orders_id_seq');
      expect(await text('queries')).toContain('pg_sleep');
      expect(await text('queries')).toContain('Top by mean time');
      const blocker = held[0]!.processID;
      expect(await page.locator(`#live-queries tr[data-pid="${blocker}"] .badge.critical`).textContent()).toBe(
        'blocking',
      );
      expect(await page.locator(`#live-queries tr[data-pid="${held[1]!.processID}"]`).textContent()).toContain(
        String(blocker),
      );
      expect(await text('space')).toMatch(/DROP INDEX CONCURRENTLY .*orders_status_b/);
      expect(await text('space')).toContain('exact duplicate of orders_status_a');
      // Largest indexes by name (growth from the capacity samples: just sampled once, so no history yet).
      const indexRow = page.locator('#space table[data-table="indexes"] tr', { hasText: 'public.orders_status_a' });
      expect(await indexRow.count()).toBe(1);
      expect(await indexRow.locator('td[data-growth="30"]').textContent()).toBe('–');
      expect(await text('maintenance')).toContain('public.events');
      expect(await text('maintenance')).toContain('97.8%');
      expect(await text('connections')).toContain('planted-app');
      expect(await text('connections')).toMatch(/of \d+ usable connections/);
      expect(await page.locator('#settings tr[data-setting="shared_buffers"]').count()).toBe(1);
      expect(await page.locator('#settings tr.changed').count()).toBeGreaterThan(0);
      // Sizes in one unit family, no script on the page.
      expect(await page.content()).not.toMatch(/\d (KB|KiB|MiB)\b/);
      expect(await page.locator('script').count()).toBe(0);

      await page.screenshot({ path: join(ARTIFACTS, 'page-full.png'), fullPage: true });
      for (const id of ['overview', 'queries', 'live-queries', 'space', 'maintenance', 'connections', 'settings']) {
        const file = join(ARTIFACTS, `${id}.png`);
        await page.locator(`#${id}`).screenshot({ path: file });
        expect(statSync(file).size, id).toBeGreaterThan(2_000);
      }
      // The operator's action works from the page.
      await Promise.all([page.waitForLoadState('load'), page.click('button[data-action="maintenance"]')]);
      expect(await page.textContent('[role="status"]')).toContain('Run maintenance cycle: done.');
      expect(errors).toEqual([]);
    });
  }, 300_000);

  it('shows a viewer the sections but no action, and refuses one posted anyway', async () => {
    await browse(async (page) => {
      await signIn(page, VIEWER);
      expect(await page.locator('#maintenance').count()).toBe(1);
      expect(await page.locator('button[data-action]').count()).toBe(0);
      const res = await fetch(`${server.url}/actions/maintenance`, {
        method: 'POST',
        headers: { authorization: `Bearer ${VIEWER}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'csrf=x',
      });
      expect(res.status).toBe(403);
    });
  }, 300_000);
});
