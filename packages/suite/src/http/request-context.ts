import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyAuth } from './auth.js';
import { clientAddress, type TrustProxy } from './client-address.js';
import { type AuthRateLimiter, describeWait } from './rate-limit.js';
import { json } from './respond.js';
import { type RequestContext, retryAfterSeconds } from './routes.js';

/**
 * Builds each request's context: where the request goes (below the mount
 * point) and who sent it. The key is compared here, once, before any route runs.
 */
export function requestContextFor(parts: {
  auth: ApiKeyAuth;
  limiter: AuthRateLimiter | undefined;
  /** Prefix stripped from the URL ('' for none), without a trailing slash. */
  stripPrefix: string;
  trustProxy: TrustProxy | undefined;
  recordFailure(client: string, method: 'api_key'): number;
  countLimited(): void;
}): (req: IncomingMessage, res: ServerResponse) => RequestContext {
  const { auth, limiter, stripPrefix } = parts;
  return (req, res) => {
    let path = (req.url ?? '/').split('?')[0] || '/';
    if (stripPrefix && (path === stripPrefix || path.startsWith(`${stripPrefix}/`)))
      path = path.slice(stripPrefix.length) || '/';
    if (path.length > 1) path = path.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const client = clientAddress(req, parts.trustProxy);
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
        parts.countLimited();
        tooManyRequests(res, lockedForMs);
        return;
      }
      const started = presentedBadKey && auth.enabled ? parts.recordFailure(client, 'api_key') : 0;
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
