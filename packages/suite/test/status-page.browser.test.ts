import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireComponent } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { CHROMIUM, withBrowserPage } from './support/browser.js';
import { assertNoSecrets, fakeTarget, OPERATOR_KEY } from './support/fake-target.js';

const hasChromium = requireComponent('chromium', existsSync(CHROMIUM), 'apt-get install chromium');
const ARTIFACTS = resolve(import.meta.dirname, '../../../.ci/artifacts');

describe.skipIf(!hasChromium)('status page in headless Chromium', () => {
  let server: RunningServer;
  let scratch: string;
  beforeAll(async () => {
    server = await startServer(fakeTarget(), { port: 0, apiKey: OPERATOR_KEY });
    scratch = mkdtempSync(join(tmpdir(), 'dbrs-chromium-'));
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('signs in through the form, renders every section and the forecast chart, and saves a screenshot', async () => {
    // The flags this test has always launched with beyond the helper's common ones (no QUIC, updates or sync).
    const extraArgs = ['--disable-quic', '--disable-component-update', '--disable-sync'];
    await withBrowserPage(scratch, { viewport: { width: 1280, height: 900 }, extraArgs }, async (page) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/`);
      await page.fill('input[name="key"]', OPERATOR_KEY);
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);

      expect(await page.textContent('[data-testid="overall-health"]')).toBe('degraded');
      for (const id of ['components', 'issues', 'slow-queries', 'index-recommendations', 'backups', 'capacity']) {
        expect(await page.isVisible(`section#${id}`), id).toBe(true);
      }
      expect(await page.locator('#components tr[data-component]').count()).toBe(6);
      expect(await page.textContent('#index-recommendations')).toContain(
        'CREATE INDEX CONCURRENTLY "bookings_status_check_in_idx"',
      );
      expect(await page.textContent('#slow-queries')).toContain('status = $1');
      expect(await page.textContent('#backups')).toContain('passed');
      for (const series of ['history', 'forecast', 'interval', 'limit']) {
        expect(await page.locator(`svg[data-chart="capacity"] [data-series="${series}"]`).count(), series).toBe(1);
      }
      const box = await page.locator('svg[data-chart="capacity"]').boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      // The escaped query text must not have become a script.
      expect(await page.locator('script').count()).toBe(0);
      expect(assertNoSecrets(await page.content())).toEqual([]);
      // Operator sees the action button and can run it from the page.
      await Promise.all([page.waitForLoadState('load'), page.click('button[data-action="maintenance"]')]);
      expect(await page.textContent('[role="status"]')).toContain('Run maintenance cycle: done.');

      const file = join(ARTIFACTS, 'status-page.png');
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
    });
  }, 240_000);

  it('tells a locked-out browser how long to wait, in the sign-in form', async () => {
    let now = Date.UTC(2026, 10, 26, 12);
    const locked = await startServer(fakeTarget(), {
      port: 0,
      apiKey: OPERATOR_KEY,
      authRateLimit: { maxFailures: 2, lockoutMs: 5 * 60_000, now: () => now },
    });
    try {
      await withBrowserPage(scratch, {}, async (page) => {
        await page.goto(`${locked.url}/`);
        // Wait for the form's own response, so the text read next is from the new page, not the old one.
        const submit = async (key: string) => {
          await page.fill('input[name="key"]', key);
          const [response] = await Promise.all([
            page.waitForResponse((r) => r.url() === `${locked.url}/login`),
            page.click('button[type="submit"]'),
          ]);
          await page.waitForLoadState('load');
          return response.status();
        };
        expect(await submit('wrong-guess-0123456789')).toBe(401);
        expect(await submit('wrong-guess-9876543210')).toBe(429);
        expect(await page.textContent('[role="alert"]')).toBe(
          'Too many failed sign-in attempts. Try again in 5 minutes.',
        );
        // Even the right key is refused until the lockout passes.
        expect(await submit(OPERATOR_KEY)).toBe(429);
        expect(await page.textContent('[role="alert"]')).toContain('Try again in 5 minutes.');
        expect(await page.locator('[data-testid="overall-health"]').count()).toBe(0);
        now += 5 * 60_000;
        await page.fill('input[name="key"]', OPERATOR_KEY);
        await Promise.all([page.waitForURL(`${locked.url}/`), page.click('button[type="submit"]')]);
        expect(await page.textContent('[data-testid="overall-health"]')).toBe('degraded');
      });
    } finally {
      await locked.close();
    }
  });
});
