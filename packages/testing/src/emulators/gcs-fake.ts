import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '@voicehive/db-core';
import { crc32c, crc32cBase64 } from './crc32c.js';
import { bucketResource, GcsStore, type ObjectFields, objectResource, type StoredBucket } from './gcs-store.js';
import { parseMultipartRelated } from './multipart-related.js';

export interface StartGcsFakeOptions {
  /** Bucket created before start. Default 'dbrs-test'. */
  bucket?: string;
  /** Default 'dbrs-test-project'. */
  projectId?: string;
}

/** Makes upload requests fail, so backup code can be tested against a broken upload. */
export interface GcsFault {
  /** Fail the upload request during which this many upload bytes (counted from injection) have arrived. Default 0. */
  failAfterBytes?: number;
  /**
   * Answer with this HTTP status (503 and 429 make the SDK retry, 4xx do not).
   * Default: no answer at all — the connection is dropped, like a network failure.
   */
  status?: number;
  /** How many requests fail before the fault clears itself. Default 1. */
  times?: number;
}

export interface PendingUpload {
  bucket: string;
  name: string;
  receivedBytes: number;
}

export interface GcsFake extends AsyncDisposable {
  /** Pass as `new Storage({ apiEndpoint, projectId })`; requests are unauthenticated. */
  apiEndpoint: string;
  projectId: string;
  bucket: string;
  injectFault(fault: GcsFault): void;
  clearFaults(): void;
  /** Resumable uploads that have started and not finished (their objects are not visible yet). */
  pendingUploads(): PendingUpload[];
  /** Idempotent. */
  stop(): Promise<void>;
}

interface UploadSession {
  id: string;
  bucket: string;
  name: string;
  fields: ObjectFields;
  chunks: Buffer[];
  received: number;
  total?: number;
  ifGenerationMatch?: string;
  result?: Record<string, unknown>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason = 'invalid',
  ) {
    super(message);
  }
}

class FaultTriggered extends Error {}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) } : {}),
    ...headers,
  });
  res.end(text);
}

/**
 * An in-memory fake of the GCS JSON API, covering what @google-cloud/storage
 * 7.x calls (found by tracing the SDK's requests): buckets, resumable uploads (single
 * request or chunked, with 308 + Range, status queries, nothing visible before
 * the last chunk), multipart and media uploads, downloads with Range and
 * x-goog-hash, metadata get/patch, listing with prefix/delimiter/paging,
 * delete, and copy/rewrite. It exists because no GCS emulator installs
 * offline here; it is test-only.
 *
 * Accepts both `apiEndpoint` paths (`/storage/v1/...`) and
 * STORAGE_EMULATOR_HOST paths (no prefix).
 */
// Long: the fake is one closure over its in-memory buckets; its handlers are the inner functions.
export async function startGcsFake(options: StartGcsFakeOptions = {}): Promise<GcsFake> {
  const projectId = options.projectId ?? 'dbrs-test-project';
  const bucketName = options.bucket ?? 'dbrs-test';
  const store = new GcsStore();
  store.createBucket(bucketName);
  const sessions = new Map<string, UploadSession>();
  const faults: Array<Required<Pick<GcsFault, 'failAfterBytes' | 'times'>> & { status?: number; seen: number }> = [];

  const readBody = (req: IncomingMessage, isUpload: boolean): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        if (isUpload && faults.length > 0) {
          const fault = faults[0]!;
          fault.seen += chunk.length;
          if (fault.seen > fault.failAfterBytes) {
            fault.times--;
            fault.seen = 0;
            if (fault.times <= 0) faults.shift();
            req.removeAllListeners('data');
            reject(Object.assign(new FaultTriggered('injected fault'), { status: fault.status }));
            return;
          }
        }
        chunks.push(chunk);
      });
      req.once('end', () => resolve(Buffer.concat(chunks)));
      req.once('error', reject);
    });

  const getBucket = (name: string): StoredBucket => {
    const bucket = store.buckets.get(name);
    if (!bucket) throw new HttpError(404, `The specified bucket does not exist: ${name}`, 'notFound');
    return bucket;
  };

  const checkGeneration = (bucket: StoredBucket, name: string, ifGenerationMatch: string | undefined | null): void => {
    if (ifGenerationMatch === undefined || ifGenerationMatch === null) return;
    const current = bucket.objects.get(name);
    const actual = current ? String(current.generation) : '0';
    if (actual !== ifGenerationMatch) {
      throw new HttpError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
    }
  };

  const finalize = (
    session: UploadSession,
    baseUrl: string,
    clientHash: string | undefined,
  ): Record<string, unknown> => {
    const bucket = getBucket(session.bucket);
    const data = Buffer.concat(session.chunks);
    verifyClientHash(data, clientHash);
    checkGeneration(bucket, session.name, session.ifGenerationMatch);
    const object = store.putObject(bucket, session.name, data, session.fields);
    session.result = objectResource(object, baseUrl);
    session.chunks = [];
    return session.result;
  };

  const handleUploadStart = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    bucketName: string,
    baseUrl: string,
  ) => {
    const bucket = getBucket(bucketName);
    const uploadType = url.searchParams.get('uploadType');
    const ifGenerationMatch = url.searchParams.get('ifGenerationMatch');
    if (uploadType === 'resumable') {
      const raw = await readBody(req, false);
      const body = (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as ObjectFields & { name?: string };
      const name = url.searchParams.get('name') ?? body.name;
      if (!name) throw new HttpError(400, 'Required object name is missing.', 'required');
      const headerType = req.headers['x-upload-content-type'];
      const headerLength = req.headers['x-upload-content-length'];
      const session: UploadSession = {
        id: randomUUID().replaceAll('-', ''),
        bucket: bucket.name,
        name,
        fields: { ...body, ...(body.contentType || typeof headerType !== 'string' ? {} : { contentType: headerType }) },
        chunks: [],
        received: 0,
      };
      if (typeof headerLength === 'string' && headerLength !== '') session.total = Number(headerLength);
      if (ifGenerationMatch !== null) session.ifGenerationMatch = ifGenerationMatch;
      sessions.set(session.id, session);
      const location = `${baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket.name)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
      sendJson(res, 200, undefined, { location, 'content-length': '0' });
      return;
    }
    const raw = await readBody(req, true);
    let data: Buffer;
    let fields: ObjectFields & { name?: string } = {};
    if (uploadType === 'multipart') {
      const parts = parseMultipartRelated(raw, String(req.headers['content-type'] ?? ''));
      if (parts.length < 2) throw new HttpError(400, 'A multipart upload needs a metadata part and a media part.');
      fields = JSON.parse(parts[0]!.body.toString('utf8')) as ObjectFields & { name?: string };
      data = parts[1]!.body;
      if (!fields.contentType && parts[1]!.headers['content-type'])
        fields.contentType = parts[1]!.headers['content-type'];
    } else if (uploadType === 'media') {
      data = raw;
      const type = req.headers['content-type'];
      if (type) fields.contentType = type;
    } else {
      throw new HttpError(400, `Unsupported uploadType "${uploadType}".`);
    }
    const name = url.searchParams.get('name') ?? fields.name;
    if (!name) throw new HttpError(400, 'Required object name is missing.', 'required');
    verifyClientHash(data, headerString(req, 'x-goog-hash'));
    checkGeneration(bucket, name, ifGenerationMatch);
    sendJson(res, 200, objectResource(store.putObject(bucket, name, data, fields), baseUrl));
  };

  const handleUploadPut = async (req: IncomingMessage, res: ServerResponse, url: URL, baseUrl: string) => {
    const session = sessions.get(url.searchParams.get('upload_id') ?? '');
    if (!session) throw new HttpError(404, 'No such upload session.', 'notFound');
    const rangeHeader = headerString(req, 'content-range') ?? 'bytes 0-*/*';
    const match = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(rangeHeader.trim());
    if (!match) throw new HttpError(400, `Invalid Content-Range "${rangeHeader}".`);
    const [, startText, endText, totalText] = match;
    if (totalText !== '*') session.total = Number(totalText);
    const incomplete = (): void => {
      const headers: Record<string, string> = { 'content-length': '0' };
      if (session.received > 0) headers['range'] = `bytes=0-${session.received - 1}`;
      res.writeHead(308, headers);
      res.end();
    };
    if (session.result) {
      await readBody(req, false);
      sendJson(res, 200, session.result);
      return;
    }
    const clientHash = headerString(req, 'x-goog-hash');
    if (startText === undefined) {
      // Status query: how much do you have? A known total that is all here completes the upload.
      await readBody(req, false);
      if (session.total !== undefined && session.received === session.total) {
        sendJson(res, 200, finalize(session, baseUrl, clientHash));
      } else incomplete();
      return;
    }
    const body = await readBody(req, true);
    const start = Number(startText);
    if (start > session.received) {
      throw new HttpError(400, `Chunk starts at ${start} but only ${session.received} bytes were received.`);
    }
    const fresh = body.subarray(session.received - start);
    if (fresh.length > 0) {
      session.chunks.push(fresh);
      session.received += fresh.length;
    }
    const lastByUnknownEnd = endText === '*' && totalText === '*';
    const lastByTotal = session.total !== undefined && session.received >= session.total;
    if (lastByUnknownEnd || lastByTotal) sendJson(res, 200, finalize(session, baseUrl, clientHash));
    else incomplete();
  };

  const handleObject = async (
    req: IncomingMessage,
    res: ServerResponse,
    { url, bucket, name, baseUrl }: { url: URL; bucket: StoredBucket; name: string; baseUrl: string },
  ) => {
    const object = bucket.objects.get(name);
    if (req.method === 'DELETE') {
      if (!object) throw new HttpError(404, `No such object: ${bucket.name}/${name}`, 'notFound');
      checkGeneration(bucket, name, url.searchParams.get('ifGenerationMatch'));
      bucket.objects.delete(name);
      sendJson(res, 204, undefined);
      return;
    }
    if (!object) throw new HttpError(404, `No such object: ${bucket.name}/${name}`, 'notFound');
    if (req.method === 'PATCH' || req.method === 'PUT') {
      const raw = await readBody(req, false);
      const fields = (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as ObjectFields;
      sendJson(res, 200, objectResource(store.patchObject(object, fields), baseUrl));
      return;
    }
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not supported on objects.`);
    if (url.searchParams.get('alt') !== 'media') {
      sendJson(res, 200, objectResource(object, baseUrl));
      return;
    }
    const size = object.data.length;
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
      'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
      'x-goog-stored-content-length': String(size),
      'x-goog-generation': String(object.generation),
      'x-goog-metageneration': String(object.metageneration),
      'accept-ranges': 'bytes',
      etag: `"${object.md5Hash}"`,
    };
    const range = headerString(req, 'range');
    const parsed = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
    if (parsed && (parsed[1] !== '' || parsed[2] !== '')) {
      let start: number;
      let end: number;
      if (parsed[1] === '') {
        start = Math.max(0, size - Number(parsed[2]));
        end = size - 1;
      } else {
        start = Number(parsed[1]);
        end = parsed[2] === '' ? size - 1 : Math.min(Number(parsed[2]), size - 1);
      }
      if (start >= size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${size}`,
        'content-length': String(end - start + 1),
      });
      res.end(object.data.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(size) });
    res.end(object.data);
  };

  // Long: the JSON API's routes as a chain of URL patterns.
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const baseUrl = `http://${req.headers.host ?? '127.0.0.1'}`;
    const url = new URL(req.url ?? '/', baseUrl);
    const method = req.method ?? 'GET';
    let path = url.pathname;
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(path);
    if (upload) {
      const bucket = decodeURIComponent(upload[1]!);
      if (method === 'POST') return handleUploadStart(req, res, url, bucket, baseUrl);
      if (method === 'PUT') return handleUploadPut(req, res, url, baseUrl);
      if (method === 'DELETE') {
        sessions.delete(url.searchParams.get('upload_id') ?? '');
        // What GCS answers for a cancelled resumable upload.
        sendJson(res, 499, undefined);
        return;
      }
    }
    path = path.replace(/^\/download/, '').replace(/^\/storage\/v1/, '');
    if (path === '/b' || path === '/b/') {
      if (method === 'POST') {
        const raw = await readBody(req, false);
        const { name } = JSON.parse(raw.toString('utf8') || '{}') as { name?: string };
        if (!name) throw new HttpError(400, 'Bucket name is required.', 'required');
        const bucket = store.createBucket(name);
        if (!bucket) throw new HttpError(409, `The bucket ${name} already exists.`, 'conflict');
        sendJson(res, 200, bucketResource(bucket, baseUrl));
        return;
      }
      sendJson(res, 200, {
        kind: 'storage#buckets',
        items: [...store.buckets.values()].map((b) => bucketResource(b, baseUrl)),
      });
      return;
    }
    const copy = /^\/b\/([^/]+)\/o\/(.+)\/(rewriteTo|copyTo)\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (copy && method === 'POST') {
      const source = getBucket(decodeURIComponent(copy[1]!)).objects.get(decodeURIComponent(copy[2]!));
      if (!source) throw new HttpError(404, 'No such source object.', 'notFound');
      const raw = await readBody(req, false);
      const fields = (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as ObjectFields;
      const target = getBucket(decodeURIComponent(copy[4]!));
      const resource = objectResource(
        store.putObject(target, decodeURIComponent(copy[5]!), Buffer.from(source.data), {
          contentType: source.contentType,
          metadata: source.metadata,
          ...fields,
        }),
        baseUrl,
      );
      if (copy[3] === 'copyTo') sendJson(res, 200, resource);
      else {
        const size = String(source.data.length);
        sendJson(res, 200, {
          kind: 'storage#rewriteResponse',
          totalBytesRewritten: size,
          objectSize: size,
          done: true,
          resource,
        });
      }
      return;
    }
    const object = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (object)
      return handleObject(req, res, {
        url,
        bucket: getBucket(decodeURIComponent(object[1]!)),
        name: decodeURIComponent(object[2]!),
        baseUrl,
      });
    const objects = /^\/b\/([^/]+)\/o\/?$/.exec(path);
    if (objects && method === 'GET') {
      const bucket = getBucket(decodeURIComponent(objects[1]!));
      const param = (key: string): string | undefined => url.searchParams.get(key) ?? undefined;
      const maxResults = param('maxResults');
      const page = store.list(bucket, {
        ...(param('prefix') !== undefined ? { prefix: param('prefix')! } : {}),
        ...(param('delimiter') !== undefined ? { delimiter: param('delimiter')! } : {}),
        ...(maxResults !== undefined ? { maxResults: Number(maxResults) } : {}),
        ...(param('pageToken') !== undefined ? { pageToken: param('pageToken')! } : {}),
        ...(param('startOffset') !== undefined ? { startOffset: param('startOffset')! } : {}),
        ...(param('endOffset') !== undefined ? { endOffset: param('endOffset')! } : {}),
      });
      sendJson(res, 200, {
        kind: 'storage#objects',
        items: page.items.map((item) => objectResource(item, baseUrl)),
        ...(page.prefixes.length > 0 ? { prefixes: page.prefixes } : {}),
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      });
      return;
    }
    const bucketPath = /^\/b\/([^/]+)\/?$/.exec(path);
    if (bucketPath) {
      const bucket = getBucket(decodeURIComponent(bucketPath[1]!));
      if (method === 'DELETE') {
        if (bucket.objects.size > 0)
          throw new HttpError(409, 'The bucket you tried to delete is not empty.', 'conflict');
        store.buckets.delete(bucket.name);
        sendJson(res, 204, undefined);
        return;
      }
      sendJson(res, 200, bucketResource(bucket, baseUrl));
      return;
    }
    throw new HttpError(404, `The GCS fake does not implement ${method} ${url.pathname}.`, 'notFound');
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof FaultTriggered) {
        const status = (error as FaultTriggered & { status?: number }).status;
        if (status === undefined) req.socket.destroy();
        else
          sendJson(
            res,
            status,
            {
              error: {
                code: status,
                message: 'Injected fault',
                errors: [{ message: 'Injected fault', reason: 'backendError' }],
              },
            },
            { connection: 'close' },
          );
        return;
      }
      const status = error instanceof HttpError ? error.status : 500;
      const reason = error instanceof HttpError ? error.reason : 'internalError';
      const message = errorMessage(error);
      if (!res.headersSent) sendJson(res, status, { error: { code: status, message, errors: [{ message, reason }] } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    return stopping;
  };
  return {
    apiEndpoint: `http://127.0.0.1:${port}`,
    projectId,
    bucket: bucketName,
    injectFault: (fault) => {
      faults.push({
        failAfterBytes: fault.failAfterBytes ?? 0,
        times: fault.times ?? 1,
        seen: 0,
        ...(fault.status !== undefined ? { status: fault.status } : {}),
      });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    pendingUploads: () =>
      [...sessions.values()]
        .filter((session) => !session.result)
        .map((session) => ({ bucket: session.bucket, name: session.name, receivedBytes: session.received })),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function headerString(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Real GCS rejects an upload whose bytes do not match the hash the client sent. */
function verifyClientHash(data: Buffer, header: string | undefined): void {
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
