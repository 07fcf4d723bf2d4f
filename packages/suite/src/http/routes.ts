import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDbrsError, type Logger, withTimeout } from '@voicehive/db-core';
import { renderLoginPage } from '../page/render.js';
import type { ComprehensiveStatus } from '../status/types.js';
import { type ApiKeyAuth, type Role, SESSION_COOKIE } from './auth.js';
import { readForm } from './body.js';
import { actionRoute, explainRoute, type OperatorRequest } from './operator-routes.js';
import { type AuthRateLimiter, describeWait } from './rate-limit.js';
import { errorMessage, html, json, methodNotAllowed, redirect, send } from './respond.js';
import { queryPageRoute, sessionPageRoute } from './statement-pages.js';
import type { SuiteHandlerTarget, SuiteRoute } from './target.js';

/** What every route may use, fixed when the handler is created. */
export interface HandlerScope {
  target: SuiteHandlerTarget;
  auth: ApiKeyAuth;
  limiter: AuthRateLimiter | undefined;
  logger: Logger;
  timeoutMs: number;
  metricsRequireApiKey: boolean;
  sharedStatus: (key: string, fn: () => Promise<ComprehensiveStatus>) => Promise<ComprehensiveStatus>;
  sharedReady: (
    key: string,
    fn: () => Promise<{ ready: boolean; message?: string }>,
  ) => Promise<{ ready: boolean; message?: string }>;
  /** Counts a refused key; returns the lockout it started in ms (0: none). */
  recordFailure(client: string, method: 'api_key' | 'sign_in'): number;
  /** Counts a request answered 429 because its address is locked out. */
  countLimited(): void;
  renderPage(
    req: IncomingMessage,
    res: ServerResponse,
    o: { mount: string; role: Role; canLogout: boolean; notice?: string },
  ): Promise<void>;
}

/** One request, as the routes see it: where it goes and who sent it. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Below the mount point, without a trailing slash. */
  path: string;
  /** Prefix of every link and form target. */
  mount: string;
  method: string;
  isRead: boolean;
  client: string;
  presentsKey: boolean;
  headerRole: Role | undefined;
  cookieRole: Role | undefined;
  /** Role for this request; `viewer` when auth is off. */
  role: Role | undefined;
  /** ms this address must still wait before a key of its is compared; 0 when it may try. */
  waitFor(): number;
  /** 401 for a missing or wrong key (counting the wrong one), 429 while the address is locked out. */
  refuse(): void;
}

/** A route: the group that switches it on (`routes` option), which requests it takes, and its answer. */
export interface Route {
  group: SuiteRoute;
  matches(c: RequestContext, s: HandlerScope): boolean;
  run(c: RequestContext, s: HandlerScope): Promise<void> | void;
}

/**
 * Every route, first match wins; a request no route takes falls through to
 * `next()` or a 404. A route's `matches` may look at the method and at what
 * the target offers (a GET of `/queries/…` without query pages is no route).
 */
export const ROUTES: readonly Route[] = [
  { group: 'health', matches: (c) => c.path === '/health', run: health },
  { group: 'ready', matches: (c) => c.path === '/ready', run: ready },
  { group: 'metrics', matches: (c) => c.path === '/metrics', run: metrics },
  { group: 'status', matches: (c) => c.path === '/status', run: status },
  { group: 'page', matches: (c) => c.path === '/login', run: login },
  { group: 'page', matches: (c) => c.path === '/logout', run: logout },
  { group: 'page', matches: (c, s) => c.path === '/explain' && s.target.explain !== undefined, run: explain },
  { group: 'page', matches: (c) => c.path.startsWith('/actions/'), run: action },
  {
    group: 'page',
    matches: (c, s) => c.path.startsWith('/queries/') && c.isRead && s.target.getQueryDetail !== undefined,
    run: (c, s) => {
      if (!c.role) return c.refuse();
      return queryPageRoute(s.target, c.res, {
        mount: c.mount,
        segment: c.path.slice('/queries/'.length),
        timeoutMs: s.timeoutMs,
      });
    },
  },
  {
    group: 'page',
    matches: (c, s) => c.path.startsWith('/sessions/') && c.isRead && s.target.getLiveSession !== undefined,
    run: (c, s) => {
      if (!c.role) return c.refuse();
      return sessionPageRoute(s.target, c.res, {
        mount: c.mount,
        segment: c.path.slice('/sessions/'.length),
        timeoutMs: s.timeoutMs,
      });
    },
  },
  { group: 'page', matches: (c) => c.path === '/' && c.isRead, run: page },
];

function health(c: RequestContext): void {
  if (!c.isRead) methodNotAllowed(c.res);
  else json(c.res, 200, { status: 'ok' });
}

async function ready(c: RequestContext, s: HandlerScope): Promise<void> {
  if (!c.isRead) return methodNotAllowed(c.res);
  try {
    const r = await s.sharedReady('ready', () =>
      withTimeout({ what: 'Readiness check', timeoutMs: Math.min(s.timeoutMs, 3_000) }, (signal) =>
        s.target.checkReady({ signal }),
      ),
    );
    return json(c.res, r.ready ? 200 : 503, {
      status: r.ready ? 'ready' : 'not_ready',
      ...(r.message ? { message: r.message } : {}),
    });
  } catch (err) {
    return json(c.res, 503, { status: 'not_ready', message: errorMessage(err) });
  }
}

async function metrics(c: RequestContext, s: HandlerScope): Promise<void> {
  if (!c.isRead) return methodNotAllowed(c.res);
  if (s.metricsRequireApiKey && s.auth.enabled && !c.headerRole) return c.refuse();
  const body = await s.target.registry.metrics();
  return send(c.res, 200, s.target.registry.contentType, body);
}

async function status(c: RequestContext, s: HandlerScope): Promise<void> {
  if (!c.isRead) return methodNotAllowed(c.res);
  if (!c.role) return c.refuse();
  try {
    const st = await s.sharedStatus('status', () =>
      withTimeout({ what: 'Status', timeoutMs: s.timeoutMs }, (signal) => s.target.getComprehensiveStatus({ signal })),
    );
    return json(c.res, st.overallHealth === 'unhealthy' ? 503 : 200, st);
  } catch (err) {
    s.logger.warn({ event: 'status_failed', err }, 'status failed');
    // A status that could not be computed in time is the service being unavailable, not a bug in it.
    return json(c.res, isDbrsError(err, 'TIMEOUT') ? 503 : 500, { error: errorMessage(err) });
  }
}

async function login(c: RequestContext, s: HandlerScope): Promise<void> {
  const { res, mount } = c;
  if (c.method !== 'POST') return redirect(res, `${mount}/`);
  const form = await readForm(c.req).catch(() => undefined);
  // Checked after the body is read, right before the comparison, so no await separates them.
  const waitMs = c.waitFor();
  if (waitMs > 0) {
    s.countLimited();
    return lockedLoginPage(res, mount, waitMs);
  }
  const session = s.auth.signIn(form?.get('key') ?? undefined);
  if (!session) {
    s.logger.warn({ event: 'login_failed', client: c.client }, 'page sign-in refused');
    const started = s.auth.enabled ? s.recordFailure(c.client, 'sign_in') : 0;
    if (started > 0) return lockedLoginPage(res, mount, started);
    return html(res, 401, renderLoginPage({ basePath: mount, error: 'That key is not valid.' }));
  }
  s.limiter?.recordSuccess(c.client);
  res.setHeader('set-cookie', sessionCookie(session.token, session.maxAgeSeconds, mount, c.req));
  return redirect(res, `${mount}/`);
}

function logout(c: RequestContext, s: HandlerScope): void {
  if (c.method !== 'POST') {
    methodNotAllowed(c.res);
    return;
  }
  // Ended on the server too: a copy of the cookie (another tab, a stolen one) stops working now.
  s.auth.signOut(c.req);
  c.res.setHeader('set-cookie', sessionCookie('', 0, c.mount, c.req));
  redirect(c.res, `${c.mount}/`);
}

/** 'operator' for an operator; for anyone else, answers (401/403/429) and returns undefined. */
function operatorOrRefuse(c: RequestContext, s: HandlerScope): 'operator' | undefined {
  if (!s.auth.enabled)
    json(c.res, 403, { error: 'Actions need an API key with the operator role; configure one (apiKey).' });
  else if (!c.role) c.refuse();
  else if (c.role !== 'operator') json(c.res, 403, { error: 'This action needs the operator role.' });
  else return c.role;
  return undefined;
}

function operatorRequest(c: RequestContext, s: HandlerScope, operator: 'operator'): OperatorRequest {
  return {
    req: c.req,
    res: c.res,
    mount: c.mount,
    target: s.target,
    auth: s.auth,
    operator,
    headerRole: c.headerRole,
    client: c.client,
    timeoutMs: s.timeoutMs,
    logger: s.logger,
    renderPage: (notice) =>
      s.renderPage(c.req, c.res, { mount: c.mount, role: operator, canLogout: c.cookieRole !== undefined, notice }),
  };
}

async function explain(c: RequestContext, s: HandlerScope): Promise<void> {
  if (c.method !== 'POST') return redirect(c.res, `${c.mount}/#explain`);
  const operator = operatorOrRefuse(c, s);
  if (!operator) return;
  return explainRoute(operatorRequest(c, s, operator));
}

async function action(c: RequestContext, s: HandlerScope): Promise<void> {
  if (c.method !== 'POST') return methodNotAllowed(c.res);
  // Who may act is settled before the id is even read, so the answer to an unauthenticated caller is the
  // same for every id: it cannot tell real action ids from unknown ones.
  const operator = operatorOrRefuse(c, s);
  if (!operator) return;
  return actionRoute(operatorRequest(c, s, operator), c.path);
}

async function page(c: RequestContext, s: HandlerScope): Promise<void> {
  if (!c.role) {
    if (wantsHtml(c.req) && !c.presentsKey) {
      // Tell a locked-out browser now, not after it has typed the key again.
      const waitMs = c.waitFor();
      if (waitMs > 0) return lockedLoginPage(c.res, c.mount, waitMs);
      return html(c.res, 401, renderLoginPage({ basePath: c.mount }));
    }
    return c.refuse();
  }
  return s.renderPage(c.req, c.res, {
    mount: c.mount,
    role: c.role,
    canLogout: c.cookieRole !== undefined && c.headerRole === undefined,
  });
}

function wantsHtml(req: IncomingMessage): boolean {
  return String(req.headers.accept ?? '').includes('text/html');
}

function sessionCookie(token: string, maxAge: number, mount: string, req: IncomingMessage): string {
  const secure = (req.socket as { encrypted?: boolean }).encrypted || req.headers['x-forwarded-proto'] === 'https';
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=${mount || '/'}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

function lockedLoginPage(res: ServerResponse, mount: string, waitMs: number): void {
  res.setHeader('retry-after', retryAfterSeconds(waitMs));
  html(
    res,
    429,
    renderLoginPage({
      basePath: mount,
      error: `Too many failed sign-in attempts. Try again in ${describeWait(waitMs)}.`,
    }),
  );
}
