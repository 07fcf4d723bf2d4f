import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDbrsError, type Logger, type Metrics, silentLogger, withTimeout } from '@voicehive/db-core';
import { escapeHtml } from '../page/escape.js';
import { type PageAction, renderLoginPage, renderStatusPage } from '../page/render.js';
import type { ComprehensiveStatus } from '../status/types.js';
import { ApiKeyAuth, type Role, type RoleKeys, SESSION_COOKIE } from './auth.js';
import { readForm } from './body.js';
import { clientAddress, type TrustProxy } from './client-address.js';
import { actionRoute, explainRoute, type OperatorRequest } from './operator-routes.js';
import { AuthRateLimiter, type AuthRateLimitOptions, describeWait } from './rate-limit.js';
import { errorMessage, html, json, methodNotAllowed, redirect, send } from './respond.js';
import { singleFlight } from './single-flight.js';
import { queryPageRoute, sessionPageRoute } from './statement-pages.js';
import type { SuiteHandlerTarget } from './target.js';

export type { SuiteHandlerTarget } from './target.js';

export type SuiteRoute = 'metrics' | 'health' | 'ready' | 'status' | 'page';

export interface SuiteHandlerOptions {
  /**
   * Key with the operator role. Without any key, `/status` and `/` are open
   * (read-only) and page actions are refused. Default: none.
   */
  apiKey?: string;
  /** Further keys by role. Default: none. */
  roles?: RoleKeys;
  /** Whether `/metrics` needs a key too. Default false (Prometheus scrapes usually run inside the cluster). */
  metricsRequireApiKey?: boolean;
  /** Routes served; others fall through (`next()`) or 404. Default: all. */
  routes?: SuiteRoute[];
  /**
   * Prefix stripped from the URL when the server does not strip it itself
   * (fastify's `req.raw.url`, a plain node:http server under a sub-path).
   * Express strips its mount path and sets `req.baseUrl`, which is used
   * for links automatically. Default ''.
   */
  basePath?: string;
  /** Longest `/status`, `/ready` and page data may take, in ms. Default 10,000 (ready: 3,000). */
  timeoutMs?: number;
  /** How long a page sign-in lasts, in ms. Default 8 hours. */
  sessionTtlMs?: number;
  /**
   * Brute-force protection of the sign-in form and of API keys: failures
   * are counted per client address, and after `maxFailures` (5) within
   * `windowMs` (15 min) the address gets 429 with `Retry-After` for
   * `lockoutMs` (1 min), doubling with each lockout in a row up to
   * `maxLockoutMs` (1 h); a correct key resets it. At most
   * `maxTrackedAddresses` (10,000) addresses are tracked. `false` turns it
   * off (only when something in front already limits). Default: on.
   */
  authRateLimit?: AuthRateLimitOptions | false;
  /**
   * Proxies in front that append the client to `X-Forwarded-For`: `true` or
   * a hop count. Without it the header is ignored and the socket's peer
   * address is the client, since any client can write the header itself.
   * Default false.
   */
  trustProxy?: TrustProxy;
  /** Registry wrapper for the handler's counters. Default: `target.metrics`, else none. */
  metrics?: Metrics;
  logger?: Logger;
}

export type SuiteHandler = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void) & {
  readonly auth: ApiKeyAuth;
  /** Undefined when `authRateLimit: false`. */
  readonly rateLimiter: AuthRateLimiter | undefined;
};

/**
 * A request handler for node:http, usable as express middleware
 * (`app.use('/dbrs', handler)`) and from fastify (with `basePath: '/dbrs'`,
 * routes `/` and `/*` in a plugin prefixed `/dbrs` that hijack the reply and
 * pass `req.raw, reply.raw`, plus a catch-all content-type parser that leaves
 * the body unread so the sign-in form is not refused with 415; see the README).
 *
 * Authentication: `Authorization: Bearer <key>` or `x-api-key: <key>` for API
 * clients; for the page, a sign-in form posting the key once and setting a
 * signed, HttpOnly, SameSite=Strict session cookie. Keys are never accepted in
 * the query string, since URLs end up in proxy and browser logs.
 */
export function createSuiteHandler(target: SuiteHandlerTarget, options: SuiteHandlerOptions = {}): SuiteHandler {
  const auth = new ApiKeyAuth({ apiKey: options.apiKey, roles: options.roles, sessionTtlMs: options.sessionTtlMs });
  const routes = new Set<SuiteRoute>(options.routes ?? ['metrics', 'health', 'ready', 'status', 'page']);
  const logger = (options.logger ?? silentLogger()).child({ component: 'http' });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stripPrefix = (options.basePath ?? '').replace(/\/+$/, '');
  const limiter = options.authRateLimit === false ? undefined : new AuthRateLimiter(options.authRateLimit);
  const metrics = options.metrics ?? target.metrics;
  // Registered up front so the series exist (at 0) before the first attack.
  const counters = metrics && {
    failures: metrics.counter({
      name: 'dbrs_http_auth_failures_total',
      help: 'Refused API keys and page sign-ins, by method (api_key, sign_in).',
      labelNames: ['method'],
    }),
    lockouts: metrics.counter({
      name: 'dbrs_http_auth_lockouts_total',
      help: 'Client addresses locked out after too many failed authentication attempts.',
    }),
    limited: metrics.counter({
      name: 'dbrs_http_auth_rate_limited_total',
      help: 'Requests answered 429 because their address was locked out.',
    }),
    evictions: metrics.counter({
      name: 'dbrs_http_auth_limiter_evictions_total',
      help: 'Addresses the sign-in limiter forgot early because it tracks too many.',
    }),
  };
  if (counters) counters.failures.inc({ method: 'api_key' }, 0);
  if (counters) counters.failures.inc({ method: 'sign_in' }, 0);
  if (limiter && counters) limiter.onEvict = () => counters.evictions.inc();
  // Concurrent /status and /ready requests share one computation each (see singleFlight).
  const sharedStatus = singleFlight<ComprehensiveStatus>();
  const sharedReady = singleFlight<{ ready: boolean; message?: string }>();

  /**
   * Records a refused key; returns the lockout it started in ms (0: none).
   * The log line carries the address only, never the key or password tried.
   */
  const recordFailure = (client: string, method: 'api_key' | 'sign_in'): number => {
    counters?.failures.inc({ method });
    if (!limiter) return 0;
    const { lockedForMs, level } = limiter.recordFailure(client);
    if (lockedForMs > 0) {
      counters?.lockouts.inc();
      logger.warn(
        { event: 'auth_lockout', client, method, lockoutMs: lockedForMs, lockoutsInARow: level },
        'too many failed authentication attempts; address locked out',
      );
    }
    return lockedForMs;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> => {
    const rawUrl = req.url ?? '/';
    let path = rawUrl.split('?')[0] || '/';
    if (stripPrefix && (path === stripPrefix || path.startsWith(`${stripPrefix}/`)))
      path = path.slice(stripPrefix.length) || '/';
    if (path.length > 1) path = path.replace(/\/+$/, '');
    const mount = `${(req as { baseUrl?: string }).baseUrl ?? ''}${stripPrefix}`;
    const method = req.method ?? 'GET';
    const isRead = method === 'GET' || method === 'HEAD';

    const client = clientAddress(req, options.trustProxy);
    /** ms this address must still wait before a key of its is compared; 0 when it may try. */
    const waitFor = (): number => (auth.enabled && limiter ? limiter.lockedFor(client) : 0);
    const presentsKey = req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined;
    // A locked-out address's key is not even compared, so the answer is the same whether it is right or wrong.
    // Check, compare and record run without an await in between: parallel guesses cannot slip past the count.
    const lockedForMs = presentsKey ? waitFor() : 0;
    const headerRole = lockedForMs > 0 ? undefined : auth.roleFromHeaders(req);
    if (headerRole) limiter?.recordSuccess(client);
    const presentedBadKey = headerRole === undefined && presentsKey;
    /** 401 for a missing or wrong key (counting the wrong one), 429 while the address is locked out. */
    const refuse = (): void => {
      if (lockedForMs > 0) {
        counters?.limited.inc();
        tooManyRequests(res, lockedForMs);
        return;
      }
      const started = presentedBadKey && auth.enabled ? recordFailure(client, 'api_key') : 0;
      if (started > 0) tooManyRequests(res, started);
      else unauthorized(res, presentedBadKey);
    };
    const cookieRole = auth.roleFromCookie(req);
    /** Role for this request; `viewer` when auth is off. */
    const role: Role | undefined = !auth.enabled ? 'viewer' : (headerRole ?? cookieRole);

    if (path === '/health' && routes.has('health')) {
      if (!isRead) return methodNotAllowed(res);
      return json(res, 200, { status: 'ok' });
    }
    if (path === '/ready' && routes.has('ready')) {
      if (!isRead) return methodNotAllowed(res);
      try {
        const r = await sharedReady('ready', () =>
          withTimeout({ what: 'Readiness check', timeoutMs: Math.min(timeoutMs, 3_000) }, (signal) =>
            target.checkReady({ signal }),
          ),
        );
        return json(res, r.ready ? 200 : 503, {
          status: r.ready ? 'ready' : 'not_ready',
          ...(r.message ? { message: r.message } : {}),
        });
      } catch (err) {
        return json(res, 503, { status: 'not_ready', message: errorMessage(err) });
      }
    }
    if (path === '/metrics' && routes.has('metrics')) {
      if (!isRead) return methodNotAllowed(res);
      if (options.metricsRequireApiKey && auth.enabled && !headerRole) return refuse();
      const body = await target.registry.metrics();
      return send(res, 200, target.registry.contentType, body);
    }
    if (path === '/status' && routes.has('status')) {
      if (!isRead) return methodNotAllowed(res);
      if (!role) return refuse();
      try {
        const status = await sharedStatus('status', () =>
          withTimeout({ what: 'Status', timeoutMs }, (signal) => target.getComprehensiveStatus({ signal })),
        );
        return json(res, status.overallHealth === 'unhealthy' ? 503 : 200, status);
      } catch (err) {
        logger.warn({ event: 'status_failed', err }, 'status failed');
        // A status that could not be computed in time is the service being unavailable, not a bug in it.
        return json(res, isDbrsError(err, 'TIMEOUT') ? 503 : 500, { error: errorMessage(err) });
      }
    }
    if (routes.has('page')) {
      if (path === '/login') {
        if (method !== 'POST') return redirect(res, `${mount}/`);
        const form = await readForm(req).catch(() => undefined);
        // Checked after the body is read, right before the comparison, so no await separates them.
        const waitMs = waitFor();
        if (waitMs > 0) {
          counters?.limited.inc();
          return lockedLoginPage(res, mount, waitMs);
        }
        const session = auth.signIn(form?.get('key') ?? undefined);
        if (!session) {
          logger.warn({ event: 'login_failed', client }, 'page sign-in refused');
          const started = auth.enabled ? recordFailure(client, 'sign_in') : 0;
          if (started > 0) return lockedLoginPage(res, mount, started);
          return html(res, 401, renderLoginPage({ basePath: mount, error: 'That key is not valid.' }));
        }
        limiter?.recordSuccess(client);
        res.setHeader('set-cookie', sessionCookie(session.token, session.maxAgeSeconds, mount, req));
        return redirect(res, `${mount}/`);
      }
      if (path === '/logout') {
        if (method !== 'POST') return methodNotAllowed(res);
        // Ended on the server too: a copy of the cookie (another tab, a stolen one) stops working now.
        auth.signOut(req);
        res.setHeader('set-cookie', sessionCookie('', 0, mount, req));
        return redirect(res, `${mount}/`);
      }
      const operatorRequest = (operator: 'operator'): OperatorRequest => ({
        req,
        res,
        mount,
        target,
        auth,
        operator,
        headerRole,
        client,
        timeoutMs,
        logger,
        renderPage: (notice) =>
          renderPage(req, res, { mount, role: operator, canLogout: cookieRole !== undefined, notice }),
      });
      /** 'operator' for an operator; for anyone else, answers (401/403/429) and returns undefined. */
      const operatorOrRefuse = (): 'operator' | undefined => {
        if (!auth.enabled)
          json(res, 403, { error: 'Actions need an API key with the operator role; configure one (apiKey).' });
        else if (!role) refuse();
        else if (role !== 'operator') json(res, 403, { error: 'This action needs the operator role.' });
        else return role;
        return undefined;
      };
      if (path === '/explain' && target.explain) {
        if (method !== 'POST') return redirect(res, `${mount}/#explain`);
        const operator = operatorOrRefuse();
        if (!operator) return;
        return explainRoute(operatorRequest(operator));
      }
      if (path.startsWith('/actions/')) {
        if (method !== 'POST') return methodNotAllowed(res);
        // Who may act is settled before the id is even read, so the answer to an unauthenticated caller is the
        // same for every id: it cannot tell real action ids from unknown ones.
        const operator = operatorOrRefuse();
        if (!operator) return;
        return actionRoute(operatorRequest(operator), path);
      }
      if (path.startsWith('/queries/') && isRead && target.getQueryDetail) {
        if (!role) return refuse();
        return queryPageRoute(target, res, { mount, segment: path.slice('/queries/'.length), timeoutMs });
      }
      if (path.startsWith('/sessions/') && isRead && target.getLiveSession) {
        if (!role) return refuse();
        return sessionPageRoute(target, res, { mount, segment: path.slice('/sessions/'.length), timeoutMs });
      }
      if (path === '/' && isRead) {
        if (!role) {
          if (wantsHtml(req) && !presentsKey) {
            // Tell a locked-out browser now, not after it has typed the key again.
            const waitMs = waitFor();
            if (waitMs > 0) return lockedLoginPage(res, mount, waitMs);
            return html(res, 401, renderLoginPage({ basePath: mount }));
          }
          return refuse();
        }
        return renderPage(req, res, {
          mount,
          role,
          canLogout: cookieRole !== undefined && headerRole === undefined,
        });
      }
    }
    if (next) return next();
    return json(res, 404, { error: `Not found: ${path}` });
  };

  async function renderPage(
    req: IncomingMessage,
    res: ServerResponse,
    { mount, role, canLogout, notice }: { mount: string; role: Role; canLogout: boolean; notice?: string },
  ): Promise<void> {
    try {
      const data = await withTimeout({ what: 'Status page', timeoutMs }, async (signal) =>
        target.getStatusPageData
          ? target.getStatusPageData({ signal })
          : {
              status: await target.getComprehensiveStatus({ signal }),
              slowQueries: [],
              indexRecommendations: [],
              backups: [],
            },
      );
      const actions: PageAction[] =
        role === 'operator' && auth.enabled
          ? Object.entries(target.actions ?? {}).map(([id, a]) => ({
              id,
              label: a.label,
              placement: a.placement ?? 'overview',
            }))
          : [];
      const body = renderStatusPage(data, {
        basePath: mount,
        role: auth.enabled ? role : undefined,
        actions,
        csrfToken: auth.csrfToken(req),
        canLogout,
        notice,
        queryPages: target.getQueryDetail !== undefined,
        sessionPages: target.getLiveSession !== undefined,
        ...(target.explain
          ? {
              explain:
                role === 'operator' && auth.enabled
                  ? { analyzeAllowed: target.explainAnalyzeAllowed === true }
                  : 'viewer',
            }
          : {}),
      });
      return html(res, 200, body);
    } catch (err) {
      logger.warn({ event: 'page_failed', err }, 'status page failed');
      return html(res, 500, `<!doctype html><title>Error</title><p>${escapeHtml(errorMessage(err))}</p>`);
    }
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => {
    handle(req, res, next).catch((err) => {
      logger.error({ event: 'http_handler_failed', err }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'Internal error' });
      else res.end();
    });
  }) as SuiteHandler;
  Object.defineProperty(handler, 'auth', { value: auth });
  Object.defineProperty(handler, 'rateLimiter', { value: limiter });
  return handler;
}

function wantsHtml(req: IncomingMessage): boolean {
  return String(req.headers.accept ?? '').includes('text/html');
}

function sessionCookie(token: string, maxAge: number, mount: string, req: IncomingMessage): string {
  const secure = (req.socket as { encrypted?: boolean }).encrypted || req.headers['x-forwarded-proto'] === 'https';
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=${mount || '/'}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function unauthorized(res: ServerResponse, badKey: boolean): void {
  res.setHeader('www-authenticate', 'Bearer realm="dbrs"');
  json(res, 401, {
    error: badKey
      ? 'The API key is not valid.'
      : 'An API key is required: send Authorization: Bearer <key> or x-api-key.',
  });
}

function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** The same answer whatever key was sent: a lockout says nothing about whether a key exists. */
function tooManyRequests(res: ServerResponse, waitMs: number): void {
  res.setHeader('retry-after', retryAfterSeconds(waitMs));
  json(res, 429, {
    error: `Too many failed authentication attempts from this address. Try again in ${describeWait(waitMs)}.`,
    retryAfterSeconds: Number(retryAfterSeconds(waitMs)),
  });
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
