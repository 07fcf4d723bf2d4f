import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GcsFault, GcsFaults } from './gcs-faults.js';
import { type GcsApi, type GcsRequest, getBucket, HttpError, sendFailure } from './gcs-http.js';
import { handleBucket, handleBuckets, handleCopy, handleList, handleObject } from './gcs-objects.js';
import { GcsStore } from './gcs-store.js';
import { GcsUploads, type PendingUpload } from './gcs-uploads.js';

export type { GcsFault } from './gcs-faults.js';
export type { PendingUpload } from './gcs-uploads.js';

export interface StartGcsFakeOptions {
  /** Bucket created before start. Default 'dbrs-test'. */
  bucket?: string;
  /** Default 'dbrs-test-project'. */
  projectId?: string;
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

/**
 * The JSON API's routes, first match wins. Accepts both `apiEndpoint` paths
 * (`/storage/v1/...`) and STORAGE_EMULATOR_HOST paths (no prefix).
 */
async function route(api: GcsApi, uploads: GcsUploads, r: GcsRequest): Promise<void> {
  const method = r.req.method ?? 'GET';
  const bucketIn = (m: RegExpExecArray) => getBucket(api.store, decodeURIComponent(m[1]!));
  const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(r.url.pathname);
  if (upload) {
    if (method === 'POST') return uploads.start(r, decodeURIComponent(upload[1]!));
    if (method === 'PUT') return uploads.put(r);
    if (method === 'DELETE') return uploads.cancel(r);
  }
  const path = r.url.pathname.replace(/^\/download/, '').replace(/^\/storage\/v1/, '');
  if (path === '/b' || path === '/b/') return handleBuckets(api, r);
  const copy = /^\/b\/([^/]+)\/o\/(.+)\/(rewriteTo|copyTo)\/b\/([^/]+)\/o\/(.+)$/.exec(path);
  if (copy && method === 'POST') return handleCopy(api, r, copy);
  const object = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path);
  if (object) return handleObject(api, r, bucketIn(object), decodeURIComponent(object[2]!));
  const objects = /^\/b\/([^/]+)\/o\/?$/.exec(path);
  if (objects && method === 'GET') return handleList(api, r, bucketIn(objects));
  const bucket = /^\/b\/([^/]+)\/?$/.exec(path);
  if (bucket) return handleBucket(api, r, bucketIn(bucket));
  throw new HttpError(404, `The GCS fake does not implement ${method} ${r.url.pathname}.`, 'notFound');
}

/**
 * An in-memory fake of the GCS JSON API, covering what @google-cloud/storage
 * 7.x calls (found by tracing the SDK's requests): buckets, resumable uploads (single
 * request or chunked, with 308 + Range, status queries, nothing visible before
 * the last chunk), multipart and media uploads, downloads with Range and
 * x-goog-hash, metadata get/patch, listing with prefix/delimiter/paging,
 * delete, and copy/rewrite. It exists because no GCS emulator installs
 * offline here; it is test-only. Stages: gcs-uploads.ts, gcs-objects.ts,
 * gcs-faults.ts (injected upload failures), gcs-store.ts (the buckets).
 */
export async function startGcsFake(options: StartGcsFakeOptions = {}): Promise<GcsFake> {
  const projectId = options.projectId ?? 'dbrs-test-project';
  const bucketName = options.bucket ?? 'dbrs-test';
  const store = new GcsStore();
  store.createBucket(bucketName);
  const faults = new GcsFaults();
  const api: GcsApi = { store, readBody: (req, isUpload) => faults.readBody(req, isUpload) };
  const uploads = new GcsUploads(api);
  const server = createServer((req, res) => {
    const baseUrl = `http://${req.headers.host ?? '127.0.0.1'}`;
    const url = new URL(req.url ?? '/', baseUrl);
    route(api, uploads, { req, res, url, baseUrl }).catch((error: unknown) => sendFailure(req, res, error));
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
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    pendingUploads: () => uploads.pending(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
