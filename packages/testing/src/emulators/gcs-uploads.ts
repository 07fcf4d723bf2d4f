import { randomUUID } from 'node:crypto';
import {
  checkGeneration,
  type GcsApi,
  type GcsRequest,
  getBucket,
  HttpError,
  headerString,
  readJson,
  sendJson,
  verifyClientHash,
} from './gcs-http.js';
import { type ObjectFields, objectResource, type StoredBucket } from './gcs-store.js';
import { parseMultipartRelated } from './multipart-related.js';

export interface PendingUpload {
  bucket: string;
  name: string;
  receivedBytes: number;
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

/**
 * The upload endpoint (`/upload/storage/v1/b/<bucket>/o`): single-request
 * multipart and media uploads, and resumable sessions (single request or
 * chunked, 308 + Range, status queries; nothing visible before the last chunk).
 */
export class GcsUploads {
  readonly #sessions = new Map<string, UploadSession>();

  constructor(private readonly api: GcsApi) {}

  /** Resumable uploads that have started and not finished. */
  pending(): PendingUpload[] {
    return [...this.#sessions.values()]
      .filter((session) => !session.result)
      .map((session) => ({ bucket: session.bucket, name: session.name, receivedBytes: session.received }));
  }

  /** POST: opens a resumable session, or stores a multipart/media upload at once. */
  async start(r: GcsRequest, bucketName: string): Promise<void> {
    const bucket = getBucket(this.api.store, bucketName);
    if (r.url.searchParams.get('uploadType') === 'resumable') return this.#open(r, bucket);
    return this.#single(r, bucket);
  }

  /** DELETE: cancels a resumable session (what GCS answers for it is 499). */
  cancel(r: GcsRequest): void {
    this.#sessions.delete(r.url.searchParams.get('upload_id') ?? '');
    sendJson(r.res, 499, undefined);
  }

  async #open({ req, res, url, baseUrl }: GcsRequest, bucket: StoredBucket): Promise<void> {
    const body = await readJson<ObjectFields & { name?: string }>(this.api, req);
    const name = url.searchParams.get('name') ?? body.name;
    if (!name) throw new HttpError(400, 'Required object name is missing.', 'required');
    const headerType = req.headers['x-upload-content-type'];
    const headerLength = req.headers['x-upload-content-length'];
    const ifGenerationMatch = url.searchParams.get('ifGenerationMatch');
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
    this.#sessions.set(session.id, session);
    const location = `${baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket.name)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
    sendJson(res, 200, undefined, { location, 'content-length': '0' });
  }

  async #single({ req, res, url, baseUrl }: GcsRequest, bucket: StoredBucket): Promise<void> {
    const uploadType = url.searchParams.get('uploadType');
    const raw = await this.api.readBody(req, true);
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
    checkGeneration(bucket, name, url.searchParams.get('ifGenerationMatch'));
    sendJson(res, 200, objectResource(this.api.store.putObject(bucket, name, data, fields), baseUrl));
  }

  /** PUT: a chunk of a resumable session, or a status query ("how much do you have?"). */
  async put({ req, res, url, baseUrl }: GcsRequest): Promise<void> {
    const session = this.#sessions.get(url.searchParams.get('upload_id') ?? '');
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
      await this.api.readBody(req, false);
      sendJson(res, 200, session.result);
      return;
    }
    const clientHash = headerString(req, 'x-goog-hash');
    if (startText === undefined) {
      // Status query: a known total that is all here completes the upload.
      await this.api.readBody(req, false);
      if (session.total !== undefined && session.received === session.total) {
        sendJson(res, 200, this.#finalize(session, baseUrl, clientHash));
      } else incomplete();
      return;
    }
    const body = await this.api.readBody(req, true);
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
    if (lastByUnknownEnd || lastByTotal) sendJson(res, 200, this.#finalize(session, baseUrl, clientHash));
    else incomplete();
  }

  /** The last chunk is in: the object becomes visible (hash and precondition checked first). */
  #finalize(session: UploadSession, baseUrl: string, clientHash: string | undefined): Record<string, unknown> {
    const bucket = getBucket(this.api.store, session.bucket);
    const data = Buffer.concat(session.chunks);
    verifyClientHash(data, clientHash);
    checkGeneration(bucket, session.name, session.ifGenerationMatch);
    const object = this.api.store.putObject(bucket, session.name, data, session.fields);
    session.result = objectResource(object, baseUrl);
    session.chunks = [];
    return session.result;
  }
}
