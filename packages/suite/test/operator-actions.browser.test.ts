import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
const ARTIFACTS = resolve(import.meta.dirname, '../../../.ci/artifacts/operator-actions');
const OPERATOR = 'operator-key-0123456789abcdef';
const VIEWER = 'viewer-key-0123456789abcdef';
const MARKER = 'planted_reset_marker';

interface HeldClient {
  processID: number;
  query(text: string): Promise<unknown>;
  release(destroy?: boolean | Error): void;
}

/**
 * Cancel, terminate and reset-statistics from the page, in headless Chromium
 * with JavaScript switched OFF (the page must work without it), against real
 * PostgreSQL sessions: the statement really fails with 57014, the session
 * really disappears, pg_stat_statements really forgets, each is in the audit
 * table, and neither a viewer nor a post without the CSRF token can act.
 */
describe.skipIf(!hasChromium)('operator actions in Chromium without JavaScript (real PostgreSQL sessions)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  let suite: DatabaseReliabilitySuite;
  let server: RunningServer;
  let sessions: Database;
  const held: HeldClient[] = [];
  let scratch: string;
  /** The long statements' outcomes: the error code they ended with. */
  const outcome = new Map<number, Promise<string>>();

  const sleeper = async (): Promise<HeldClient> => {
    const c = (await sessions.pool.connect()) as unknown as HeldClient;
    held.push(c);
    outcome.set(
      c.processID,
      c.query('SELECT pg_sleep(600)').then(
        () => 'finished',
        (err: { code?: string }) => err.code ?? 'no code',
      ),
    );
    return c;
  };
  const stateOf = async (pid: number) =>
    (await sql<{ state: string }>(db.url, 'SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]))[0]?.state;
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    await sql(db.url, `CREATE TABLE rooms (id int PRIMARY KEY, name text); INSERT INTO rooms VALUES (1, 'a');`);
    sessions = createDatabase(db.url, { poolMax: 4, applicationName: 'planted-app' });
    sessions.pool.on('connect', (c) => c.on('error', () => {}));
    sessions.pool.on('error', () => {});
    await sessions.pool.query(`SELECT 1 AS ${MARKER}`);
    suite = await createDatabaseReliabilitySuite(
      db.url,
      { backupEnabled: false, migrationsEnabled: false, capacityEnabled: false, logLevel: 'silent' },
      { componentTimeoutMs: 90_000 },
    );
    server = await suite.serve({ host: '127.0.0.1', port: 0, apiKey: OPERATOR, roles: { viewer: VIEWER } });
    scratch = mkdtempSync(join(tmpdir(), 'dbrs-chromium-actions-'));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await sessions
      ?.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'planted-app' AND pid <> pg_backend_pid()",
      )
      .catch(() => {});
    await Promise.allSettled([...outcome.values()]);
    for (const c of held) c.release(true);
    await sessions?.close();
    await suite?.shutdown();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const browse = <T>(fn: (page: Page) => Promise<T>): Promise<T> =>
    withBrowserPage(scratch, { javaScriptEnabled: false, viewport: { width: 1400, height: 1000 } }, fn);

  const signIn = async (page: Page, key: string) => {
    await page.goto(`${server.url}/`);
    await page.fill('input[name="key"]', key);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
  };
  /** Clicks an action button, checks the confirmation page, confirms, returns the notice. */
  const actAndConfirm = async (page: Page, button: string, expectInQuestion: string[], shot: string) => {
    await Promise.all([page.waitForURL(/\/actions\//), page.click(button)]);
    const question = (await page.textContent('[data-testid="confirm-question"]')) ?? '';
    for (const part of expectInQuestion) expect(question).toContain(part);
    await page.screenshot({ path: join(ARTIFACTS, `${shot}-confirm.png`) });
    await Promise.all([page.waitForLoadState('load'), page.click('button[data-confirm]')]);
    const notice = (await page.textContent('[role="status"]')) ?? '';
    await page.screenshot({ path: join(ARTIFACTS, `${shot}-done.png`) });
    return notice;
  };

  it('cancels a running statement and terminates a session after confirmation, audited', async () => {
    const toCancel = await sleeper();
    const toTerminate = await sleeper();
    await waitFor('both sleepers active', async () =>
      (await Promise.all([stateOf(toCancel.processID), stateOf(toTerminate.processID)])).every((s) => s === 'active'),
    );
    await browse(async (page) => {
      await signIn(page, OPERATOR);
      expect(await page.locator('script').count()).toBe(0);
      const cancelButton = `#live-queries tr[data-pid="${toCancel.processID}"] button[data-action="session-cancel"]`;
      expect(await page.locator(cancelButton).count()).toBe(1);
      await page.locator('#live-queries').screenshot({ path: join(ARTIFACTS, 'live-queries.png') });

      // Going back from the confirmation leaves the session alone.
      await Promise.all([page.waitForURL(/\/actions\//), page.click(cancelButton)]);
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('text=No, back to the page')]);
      expect(await stateOf(toCancel.processID)).toBe('active');

      const cancelled = await actAndConfirm(
        page,
        cancelButton,
        [`session ${toCancel.processID}`, 'planted-app'],
        'cancel',
      );
      expect(cancelled).toContain(`Cancel (pid ${toCancel.processID}): done.`);
      expect(await outcome.get(toCancel.processID)).toBe('57014');
      // Cancelled, not ended: the connection is still there.
      await waitFor('the cancelled session to be idle', async () => (await stateOf(toCancel.processID)) === 'idle');

      await page.goto(`${server.url}/`);
      const terminateButton = `#live-queries tr[data-pid="${toTerminate.processID}"] button[data-action="session-terminate"]`;
      const terminated = await actAndConfirm(
        page,
        terminateButton,
        [`Terminate session ${toTerminate.processID}`, 'rolled back'],
        'terminate',
      );
      expect(terminated).toContain(`Terminate (pid ${toTerminate.processID}): done.`);
      expect(await outcome.get(toTerminate.processID)).toBe('57P01');
      await waitFor(
        'the terminated session to be gone',
        async () => (await stateOf(toTerminate.processID)) === undefined,
      );
    });
    const audit = await sql<{
      action: string;
      target: string;
      actor: string;
      outcome: string;
      details: { application: string };
    }>(
      db.url,
      `SELECT action, target, actor, outcome, details FROM dbrs.dbrs_audit_log WHERE action LIKE 'session.%' ORDER BY at`,
    );
    expect(audit.map((a) => [a.action, a.target, a.actor, a.outcome, a.details.application])).toEqual([
      ['session.cancel', `pid ${toCancel.processID}`, 'http:operator', 'success', 'planted-app'],
      ['session.terminate', `pid ${toTerminate.processID}`, 'http:operator', 'success', 'planted-app'],
    ]);
  }, 300_000);

  it('resets the query statistics of this database after confirmation', async () => {
    const marked = async () =>
      Number(
        (
          await sql<{ n: string }>(
            db.url,
            `SELECT count(*) AS n FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE '%${MARKER}%' AND query NOT LIKE '%pg_stat_statements%'`,
          )
        )[0]!.n,
      );
    expect(await marked()).toBeGreaterThan(0);
    await browse(async (page) => {
      await signIn(page, OPERATOR);
      const notice = await actAndConfirm(
        page,
        'button[data-action="reset-query-stats"]',
        ['pg_stat_statements', 'this database'],
        'reset-stats',
      );
      expect(notice).toContain('Reset query statistics: done.');
    });
    expect(await marked()).toBe(0);
    const audit = await sql<{ outcome: string; actor: string }>(
      db.url,
      `SELECT outcome, actor FROM dbrs.dbrs_audit_log WHERE action = 'query_stats.reset'`,
    );
    expect(audit).toEqual([{ outcome: 'success', actor: 'http:operator' }]);
  }, 300_000);

  it('explains a pasted statement from the page without JavaScript', async () => {
    await browse(async (page) => {
      await signIn(page, OPERATOR);
      expect(await page.textContent('#explain')).toContain('ANALYZE is off (performance.allowExplainAnalyze)');
      await page.fill('#explain textarea[name="sql"]', 'SELECT name FROM rooms WHERE id = 1');
      await Promise.all([page.waitForURL(`${server.url}/explain`), page.click('button[data-action="explain"]')]);
      expect(await page.textContent('[data-testid="plan"]')).toMatch(/Index Scan using rooms_pkey on rooms/);
      expect(await page.inputValue('textarea[name="sql"]')).toBe('SELECT name FROM rooms WHERE id = 1');
      await page.screenshot({ path: join(ARTIFACTS, 'explain.png') });
      await page.fill('textarea[name="sql"]', 'SELEC 1');
      await Promise.all([page.waitForLoadState('load'), page.click('button[data-action="explain"]')]);
      expect(await page.textContent('[data-testid="explain-error"]')).toContain('syntax error at or near "SELEC"');
    });
  }, 300_000);

  it('refuses a viewer (403), a post without the CSRF token (403), and the suite’s own or unknown sessions', async () => {
    const victim = await sleeper();
    await waitFor('the sleeper to be active', async () => (await stateOf(victim.processID)) === 'active');
    await browse(async (page) => {
      await signIn(page, VIEWER);
      expect(await page.locator(`#live-queries tr[data-pid="${victim.processID}"]`).count()).toBe(1);
      expect(await page.locator('button[data-action]').count()).toBe(0);
      expect(await page.textContent('#explain')).toContain('needs the operator role');
      const viewerCookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const res = await fetch(`${server.url}/actions/session-terminate`, {
        method: 'POST',
        headers: { cookie: viewerCookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ pid: String(victim.processID), confirm: 'yes' }),
      });
      expect(res.status).toBe(403);
    });
    await browse(async (page) => {
      await signIn(page, OPERATOR);
      const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const res = await fetch(`${server.url}/actions/session-terminate`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ pid: String(victim.processID), confirm: 'yes', csrf: 'forged' }),
      });
      expect(res.status).toBe(403);
    });
    expect(await stateOf(victim.processID)).toBe('active');

    const api = (pid: string) =>
      fetch(`${server.url}/actions/session-terminate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ pid, confirm: 'yes' }),
      });
    const ownPid = (await suite.database.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const own = await api(String(ownPid));
    expect(own.status).toBe(400);
    expect(((await own.json()) as { error: string }).error).toContain("one of this service's own sessions");
    const bad = await api('1; DROP TABLE rooms');
    expect(bad.status).toBe(400);
    const gone = await api('2147483000');
    expect(gone.status).toBe(404);
    expect(await stateOf(victim.processID)).toBe('active');
    expect(await sql(db.url, 'SELECT count(*) FROM rooms')).toEqual([{ count: '1' }]);
  }, 300_000);
});
