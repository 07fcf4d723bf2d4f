import { createHash } from 'node:crypto';
import { crc32c, crc32cBase64 } from './crc32c.js';

/** Writable object fields a client may set on upload or PATCH. */
export interface ObjectFields {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
  metadata?: Record<string, string | null>;
}

export interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
  generation: number;
  metageneration: number;
  timeCreated: string;
  updated: string;
  crc32c: string;
  md5Hash: string;
}

export interface StoredBucket {
  name: string;
  timeCreated: string;
  objects: Map<string, StoredObject>;
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  maxResults?: number;
  pageToken?: string;
  startOffset?: string;
  endOffset?: string;
}

export interface ListPage {
  items: StoredObject[];
  prefixes: string[];
  nextPageToken?: string;
}

let lastGeneration = 0;
// Generations must strictly increase, even for two writes in the same microsecond.
const nextGeneration = (): number => {
  lastGeneration = Math.max(lastGeneration + 1, Date.now() * 1000);
  return lastGeneration;
};

const mergeMetadata = (base: Record<string, string>, patch: Record<string, string | null> | undefined) => {
  const merged = { ...base };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === null) delete merged[key];
    else merged[key] = String(value);
  }
  return merged;
};

/** Buckets and objects of the GCS fake, in memory. */
export class GcsStore {
  readonly buckets = new Map<string, StoredBucket>();

  createBucket(name: string): StoredBucket | undefined {
    if (this.buckets.has(name)) return undefined;
    const bucket: StoredBucket = { name, timeCreated: new Date().toISOString(), objects: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  putObject(bucket: StoredBucket, name: string, data: Buffer, fields: ObjectFields): StoredObject {
    const now = new Date().toISOString();
    const object: StoredObject = {
      bucket: bucket.name,
      name,
      data,
      contentType: fields.contentType ?? 'application/octet-stream',
      metadata: mergeMetadata({}, fields.metadata),
      generation: nextGeneration(),
      metageneration: 1,
      timeCreated: now,
      updated: now,
      crc32c: crc32cBase64(crc32c(data)),
      md5Hash: createHash('md5').update(data).digest('base64'),
    };
    if (fields.contentEncoding) object.contentEncoding = fields.contentEncoding;
    if (fields.contentDisposition) object.contentDisposition = fields.contentDisposition;
    if (fields.cacheControl) object.cacheControl = fields.cacheControl;
    bucket.objects.set(name, object);
    return object;
  }

  patchObject(object: StoredObject, fields: ObjectFields): StoredObject {
    if (fields.contentType !== undefined) object.contentType = fields.contentType;
    if (fields.contentEncoding !== undefined) object.contentEncoding = fields.contentEncoding;
    if (fields.contentDisposition !== undefined) object.contentDisposition = fields.contentDisposition;
    if (fields.cacheControl !== undefined) object.cacheControl = fields.cacheControl;
    if (fields.metadata !== undefined) object.metadata = mergeMetadata(object.metadata, fields.metadata);
    object.metageneration++;
    object.updated = new Date().toISOString();
    return object;
  }

  list(bucket: StoredBucket, options: ListOptions): ListPage {
    const prefix = options.prefix ?? '';
    const after = options.pageToken ? Buffer.from(options.pageToken, 'base64url').toString('utf8') : undefined;
    // Objects and common prefixes share one sorted sequence, as in GCS, so pages never repeat a prefix.
    const entries = new Map<string, StoredObject | null>();
    for (const name of [...bucket.objects.keys()].sort()) {
      if (!name.startsWith(prefix)) continue;
      if (options.startOffset !== undefined && name < options.startOffset) continue;
      if (options.endOffset !== undefined && name >= options.endOffset) continue;
      const rest = name.slice(prefix.length);
      const cut = options.delimiter ? rest.indexOf(options.delimiter) : -1;
      if (cut >= 0 && options.delimiter) entries.set(prefix + rest.slice(0, cut + options.delimiter.length), null);
      else entries.set(name, bucket.objects.get(name)!);
    }
    const keys = [...entries.keys()].sort().filter((key) => after === undefined || key > after);
    const max = Math.max(1, Math.min(options.maxResults ?? 1000, 1000));
    const page = keys.slice(0, max);
    const result: ListPage = { items: [], prefixes: [] };
    for (const key of page) {
      const object = entries.get(key);
      if (object) result.items.push(object);
      else result.prefixes.push(key);
    }
    if (keys.length > max) result.nextPageToken = Buffer.from(page.at(-1)!, 'utf8').toString('base64url');
    return result;
  }
}

export function objectResource(object: StoredObject, baseUrl: string): Record<string, unknown> {
  const encoded = encodeURIComponent(object.name);
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${object.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${object.bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    ...(object.contentEncoding ? { contentEncoding: object.contentEncoding } : {}),
    ...(object.contentDisposition ? { contentDisposition: object.contentDisposition } : {}),
    ...(object.cacheControl ? { cacheControl: object.cacheControl } : {}),
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: `C${object.generation}${object.metageneration}`,
    timeCreated: object.timeCreated,
    updated: object.updated,
    ...(Object.keys(object.metadata).length > 0 ? { metadata: object.metadata } : {}),
  };
}

export function bucketResource(bucket: StoredBucket, baseUrl: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: bucket.name,
    selfLink: `${baseUrl}/storage/v1/b/${bucket.name}`,
    name: bucket.name,
    projectNumber: '0',
    metageneration: '1',
    location: 'US',
    storageClass: 'STANDARD',
    etag: 'CAE=',
    timeCreated: bucket.timeCreated,
    updated: bucket.timeCreated,
  };
}
