import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, type Metrics, silentLogger } from '@voicehive/db-core';
import type { ComprehensiveStatus } from '../status/types.js';
import { ApiKeyAuth, type RoleKeys } from './auth.js';
import { authCounters, failureRecorder } from './auth-counters.js';
import type { TrustProxy } from './client-address.js';
import { pageRenderer } from './page-response.js';
import { AuthRateLimiter, type AuthRateLimitOptions } from './rate-limit.js';
import { requestContextFor } from './request-context.js';
import { json } from './respond.js';
import { type HandlerScope, ROUTES } from './routes.js';
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
export function createSuiteHandler(target: SuiteHandlerTarget, options: SuiteHandlerOptions = {}): SuiteHandler {
  const auth = new ApiKeyAuth({ apiKey: options.apiKey, roles: options.roles, sessionTtlMs: options.sessionTtlMs });
  const routes = new Set<SuiteRoute>(options.routes ?? ['metrics', 'health', 'ready', 'status', 'page']);
  const logger = (options.logger ?? silentLogger()).child({ component: 'http' });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limiter = options.authRateLimit === false ? undefined : new AuthRateLimiter(options.authRateLimit);
  const counters = authCounters(options.metrics ?? target.metrics, limiter);
  const recordFailure = failureRecorder({ counters, limiter, logger });
  const countLimited = () => counters?.limited.inc();

  const scope: HandlerScope = {
    target,
    auth,
    limiter,
    logger,
    timeoutMs,
    metricsRequireApiKey: options.metricsRequireApiKey === true,
    // Concurrent /status and /ready requests share one computation each (see singleFlight).
    sharedStatus: singleFlight<ComprehensiveStatus>(),
    sharedReady: singleFlight<{ ready: boolean; message?: string }>(),
    recordFailure,
    countLimited,
    renderPage: pageRenderer({ target, auth, logger, timeoutMs }),
  };
  const requestContext = requestContextFor({
    auth,
    limiter,
    stripPrefix: (options.basePath ?? '').replace(/\/+$/, ''),
    trustProxy: options.trustProxy,
    recordFailure,
    countLimited,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> => {
    const c = requestContext(req, res);
    const route = ROUTES.find((r) => routes.has(r.group) && r.matches(c, scope));
    if (route) return route.run(c, scope);
    if (next) return next();
    return json(res, 404, { error: `Not found: ${c.path}` });
  };

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
