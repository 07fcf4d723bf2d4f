import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '@voicehive/db-core';
import { crc32c, crc32cBase64 } from './crc32c.js';
import type { GcsStore, StoredBucket } from './gcs-store.js';

/** A JSON API error answer: its HTTP status and the `reason` GCS puts in `errors[]`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason = 'invalid',
  ) {
    super(message);
  }
}

/** Thrown by the body reader when an injected fault fires; `status` undefined means drop the connection. */
export class FaultTriggered extends Error {
  constructor(readonly status: number | undefined) {
    super('injected fault');
  }
}

/** One request as the fake's handlers see it. */
export interface GcsRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** `http://host:port` the client used: object resources link back through it. */
  baseUrl: string;
}

/** What every handler works on: the buckets, and the body reader that fires injected upload faults. */
export interface GcsApi {
  store: GcsStore;
  /** The whole body; `isUpload` counts its bytes against an injected fault. */
  readBody(req: IncomingMessage, isUpload: boolean): Promise<Buffer>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) } : {}),
    ...headers,
  });
  res.end(text);
}

/** A JSON body, `{}` when empty. */
export async function readJson<T>(api: GcsApi, req: IncomingMessage): Promise<T> {
  const raw = await api.readBody(req, false);
  return (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as T;
}

/**
 * The answer for a request that failed: an injected fault drops the
 * connection or answers its status; anything else is GCS's error shape.
 */
export function sendFailure(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (error instanceof FaultTriggered) {
    if (error.status === undefined) req.socket.destroy();
    else {
      const errors = [{ message: 'Injected fault', reason: 'backendError' }];
      sendJson(
        res,
        error.status,
        { error: { code: error.status, message: 'Injected fault', errors } },
        { connection: 'close' },
      );
    }
    return;
  }
  const status = error instanceof HttpError ? error.status : 500;
  const reason = error instanceof HttpError ? error.reason : 'internalError';
  const message = errorMessage(error);
  if (!res.headersSent) sendJson(res, status, { error: { code: status, message, errors: [{ message, reason }] } });
  else res.destroy();
}

export function getBucket(store: GcsStore, name: string): StoredBucket {
  const bucket = store.buckets.get(name);
  if (!bucket) throw new HttpError(404, `The specified bucket does not exist: ${name}`, 'notFound');
  return bucket;
}

/** `ifGenerationMatch`: '0' means "must not exist yet". */
export function checkGeneration(
  bucket: StoredBucket,
  name: string,
  ifGenerationMatch: string | undefined | null,
): void {
  if (ifGenerationMatch === undefined || ifGenerationMatch === null) return;
  const current = bucket.objects.get(name);
  const actual = current ? String(current.generation) : '0';
  if (actual !== ifGenerationMatch) {
    throw new HttpError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
  }
}

export function headerString(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Real GCS rejects an upload whose bytes do not match the hash the client sent. */
export function verifyClientHash(data: Buffer, header: string | undefined): void {
  if (!header) return;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const kind = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const actual =
      kind === 'crc32c'
        ? crc32cBase64(crc32c(data))
        : kind === 'md5'
          ? createHash('md5').update(data).digest('base64')
          : value;
    if (actual !== value) {
      throw new HttpError(400, `Provided ${kind} "${value}" doesn't match calculated "${actual}".`, 'invalid');
    }
  }
}
