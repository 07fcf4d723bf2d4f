import type { ServerResponse } from 'node:http';
import { isDbrsError, errorMessage as messageOf, redact, redactString } from '@voicehive/db-core';

/** Response helpers shared by the handler's routes: every answer carries the same security headers. */

export const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** An error's message as it may be shown to a client: redacted. */
export function errorMessage(err: unknown): string {
  return redactString(messageOf(err));
}

/** HTTP status for an action's failure: the caller's mistake (4xx) or ours (5xx). */
export function errorStatus(err: unknown): number {
  if (isDbrsError(err, 'INVALID_ARGUMENT')) return 400;
  if (isDbrsError(err, 'NOT_FOUND')) return 404;
  if (isDbrsError(err, 'PERMISSION_DENIED')) return 403;
  if (isDbrsError(err, 'EXTENSION_MISSING') || isDbrsError(err, 'UNSUPPORTED')) return 409;
  if (isDbrsError(err, 'TIMEOUT')) return 503;
  return 500;
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(redact(value)));
}

export function html(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/html; charset=utf-8', body, { 'content-security-policy': PAGE_CSP });
}

export function methodNotAllowed(res: ServerResponse): void {
  json(res, 405, { error: 'Method not allowed.' });
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location });
  res.end();
}

/** decodeURIComponent, or undefined for a malformed escape: a bad path is the client's mistake (400), not ours. */
export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The action with this id, looked up among the map's own properties only:
 * `__proto__`, `constructor` or `toString` are not actions, whatever the
 * prototype of the map says.
 */
export function ownAction<A>(actions: Record<string, A> | undefined, id: string): A | undefined {
  return actions && Object.hasOwn(actions, id) ? actions[id] : undefined;
}
