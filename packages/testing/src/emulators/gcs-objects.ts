import type { ServerResponse } from 'node:http';
import {
  checkGeneration,
  type GcsApi,
  type GcsRequest,
  getBucket,
  HttpError,
  headerString,
  readJson,
  sendJson,
} from './gcs-http.js';
import {
  bucketResource,
  type ListOptions,
  type ObjectFields,
  objectResource,
  type StoredBucket,
  type StoredObject,
} from './gcs-store.js';

/** `/b/<bucket>/o/<name>`: metadata GET/PATCH, DELETE, and the bytes (`alt=media`, with Range). */
export async function handleObject(api: GcsApi, r: GcsRequest, bucket: StoredBucket, name: string): Promise<void> {
  const { req, res, url, baseUrl } = r;
  const object = bucket.objects.get(name);
  if (!object) throw new HttpError(404, `No such object: ${bucket.name}/${name}`, 'notFound');
  if (req.method === 'DELETE') {
    checkGeneration(bucket, name, url.searchParams.get('ifGenerationMatch'));
    bucket.objects.delete(name);
    sendJson(res, 204, undefined);
    return;
  }
  if (req.method === 'PATCH' || req.method === 'PUT') {
    const fields = await readJson<ObjectFields>(api, req);
    sendJson(res, 200, objectResource(api.store.patchObject(object, fields), baseUrl));
    return;
  }
  if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not supported on objects.`);
  if (url.searchParams.get('alt') !== 'media') sendJson(res, 200, objectResource(object, baseUrl));
  else sendMedia(res, object, headerString(req, 'range'));
}

/** The object's bytes with GCS's headers; a `bytes=a-b`, `a-` or `-n` range gets 206 (416 when outside). */
function sendMedia(res: ServerResponse, object: StoredObject, range: string | undefined): void {
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
  const parsed = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
  if (!parsed || (parsed[1] === '' && parsed[2] === '')) {
    res.writeHead(200, { ...headers, 'content-length': String(size) });
    res.end(object.data);
    return;
  }
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
}

/** POST `/b/<src>/o/<name>/{copyTo|rewriteTo}/b/<dst>/o/<name>`: rewrite answers done in one call. */
export async function handleCopy(api: GcsApi, r: GcsRequest, match: RegExpExecArray): Promise<void> {
  const [, fromBucket, fromName, kind, toBucket, toName] = match.map((part) => decodeURIComponent(part));
  const source = getBucket(api.store, fromBucket!).objects.get(fromName!);
  if (!source) throw new HttpError(404, 'No such source object.', 'notFound');
  const fields = await readJson<ObjectFields>(api, r.req);
  const copied = api.store.putObject(getBucket(api.store, toBucket!), toName!, Buffer.from(source.data), {
    contentType: source.contentType,
    metadata: source.metadata,
    ...fields,
  });
  const resource = objectResource(copied, r.baseUrl);
  if (kind === 'copyTo') return sendJson(r.res, 200, resource);
  const size = String(source.data.length);
  sendJson(r.res, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: size,
    objectSize: size,
    done: true,
    resource,
  });
}

/** GET `/b/<bucket>/o`: one page of a listing (prefix, delimiter, offsets, paging). */
export function handleList(api: GcsApi, { res, url, baseUrl }: GcsRequest, bucket: StoredBucket): void {
  const options: ListOptions = {};
  for (const key of ['prefix', 'delimiter', 'pageToken', 'startOffset', 'endOffset'] as const) {
    const value = url.searchParams.get(key);
    if (value !== null) options[key] = value;
  }
  const maxResults = url.searchParams.get('maxResults');
  if (maxResults !== null) options.maxResults = Number(maxResults);
  const page = api.store.list(bucket, options);
  sendJson(res, 200, {
    kind: 'storage#objects',
    items: page.items.map((item) => objectResource(item, baseUrl)),
    ...(page.prefixes.length > 0 ? { prefixes: page.prefixes } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  });
}

/** `/b`: POST creates a bucket (409 when it exists), GET lists them. */
export async function handleBuckets(api: GcsApi, { req, res, baseUrl }: GcsRequest): Promise<void> {
  if (req.method !== 'POST') {
    const items = [...api.store.buckets.values()].map((b) => bucketResource(b, baseUrl));
    return sendJson(res, 200, { kind: 'storage#buckets', items });
  }
  const { name } = await readJson<{ name?: string }>(api, req);
  if (!name) throw new HttpError(400, 'Bucket name is required.', 'required');
  const bucket = api.store.createBucket(name);
  if (!bucket) throw new HttpError(409, `The bucket ${name} already exists.`, 'conflict');
  sendJson(res, 200, bucketResource(bucket, baseUrl));
}

/** `/b/<bucket>`: GET its resource, DELETE it when empty (409 otherwise). */
export function handleBucket(api: GcsApi, { req, res, baseUrl }: GcsRequest, bucket: StoredBucket): void {
  if (req.method !== 'DELETE') {
    sendJson(res, 200, bucketResource(bucket, baseUrl));
    return;
  }
  if (bucket.objects.size > 0) throw new HttpError(409, 'The bucket you tried to delete is not empty.', 'conflict');
  api.store.buckets.delete(bucket.name);
  sendJson(res, 204, undefined);
}
