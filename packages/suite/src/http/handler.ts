import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, type Metrics, silentLogger, withTimeout } from '@voicehive/db-core';
import { escapeHtml } from '../page/escape.js';
import { type PageAction, renderStatusPage } from '../page/render.js';
import type { ComprehensiveStatus } from '../status/types.js';
import { ApiKeyAuth, type Role, type RoleKeys } from './auth.js';
import { clientAddress, type TrustProxy } from './client-address.js';
import { AuthRateLimiter, type AuthRateLimitOptions, describeWait } from './rate-limit.js';
import { errorMessage, html, json } from './respond.js';
import { type HandlerScope, type RequestContext, ROUTES, retryAfterSeconds } from './routes.js';
import { singleFlight } from './single-flight.js';
import type { SuiteHandlerTarget, SuiteRoute } from './target.js';

export type { SuiteHandlerTarget, SuiteRoute } from './target.js';

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
// Long: short closures over the handler's auth, rate limiter and single-flight state; the routing is in routes.ts.
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

  const scope: HandlerScope = {
    target,
    auth,
    limiter,
    logger,
    timeoutMs,
    metricsRequireApiKey: options.metricsRequireApiKey === true,
    sharedStatus,
    sharedReady,
    recordFailure,
    countLimited: () => counters?.limited.inc(),
    renderPage: (req, res, o) => renderPage(req, res, o),
  };

  /** Where the request goes and who sent it; the key is compared here, once, before any route runs. */
  const requestContext = (req: IncomingMessage, res: ServerResponse): RequestContext => {
    let path = (req.url ?? '/').split('?')[0] || '/';
    if (stripPrefix && (path === stripPrefix || path.startsWith(`${stripPrefix}/`)))
      path = path.slice(stripPrefix.length) || '/';
    if (path.length > 1) path = path.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const client = clientAddress(req, options.trustProxy);
    const waitFor = (): number => (auth.enabled && limiter ? limiter.lockedFor(client) : 0);
    const presentsKey = req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined;
    // A locked-out address's key is not even compared, so the answer is the same whether it is right or wrong.
    // Check, compare and record run without an await in between: parallel guesses cannot slip past the count.
    const lockedForMs = presentsKey ? waitFor() : 0;
    const headerRole = lockedForMs > 0 ? undefined : auth.roleFromHeaders(req);
    if (headerRole) limiter?.recordSuccess(client);
    const presentedBadKey = headerRole === undefined && presentsKey;
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
    return {
      req,
      res,
      path,
      mount: `${(req as { baseUrl?: string }).baseUrl ?? ''}${stripPrefix}`,
      method,
      isRead: method === 'GET' || method === 'HEAD',
      client,
      presentsKey,
      headerRole,
      cookieRole,
      role: !auth.enabled ? 'viewer' : (headerRole ?? cookieRole),
      waitFor,
      refuse,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> => {
    const c = requestContext(req, res);
    const route = ROUTES.find((r) => routes.has(r.group) && r.matches(c, scope));
    if (route) return route.run(c, scope);
    if (next) return next();
    return json(res, 404, { error: `Not found: ${c.path}` });
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

function unauthorized(res: ServerResponse, badKey: boolean): void {
  res.setHeader('www-authenticate', 'Bearer realm="dbrs"');
  json(res, 401, {
    error: badKey
      ? 'The API key is not valid.'
      : 'An API key is required: send Authorization: Bearer <key> or x-api-key.',
  });
}

/** The same answer whatever key was sent: a lockout says nothing about whether a key exists. */
function tooManyRequests(res: ServerResponse, waitMs: number): void {
  res.setHeader('retry-after', retryAfterSeconds(waitMs));
  json(res, 429, {
    error: `Too many failed authentication attempts from this address. Try again in ${describeWait(waitMs)}.`,
    retryAfterSeconds: Number(retryAfterSeconds(waitMs)),
  });
}
