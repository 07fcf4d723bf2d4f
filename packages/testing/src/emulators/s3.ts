import { createCipheriv } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { DbrsError } from '@voicehive/db-core';
import { debugEnabled } from '../internal/debug.js';
import { reapOnExit } from '../internal/reaper.js';
import { makeTempDir, removeDir } from '../internal/temp-dir.js';

export interface StartS3Options {
  /** Bucket created before start; 3–63 characters (s3rver validates). Default 'dbrs-test'. */
  bucket?: string;
  /** More buckets to create. Default none. */
  extraBuckets?: string[];
  /** Region clients should use; s3rver accepts any. Default 'us-east-1'. */
  region?: string;
}

export interface S3Emulator extends AsyncDisposable {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: 'S3RVER'; secretAccessKey: 'S3RVER' };
  forcePathStyle: true;
  /** Objects are stored here, one directory per bucket. */
  directory: string;
  /**
   * Whether ListObjectsV2 paging can work in this process: s3rver makes
   * continuation tokens with DES, which OpenSSL 3 only has with
   * --openssl-legacy-provider.
   */
  supportsListPaging: boolean;
  /** Idempotent. */
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

function desAvailable(): boolean {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

/**
 * s3rver in this process on a free port. Clients need `forcePathStyle: true`,
 * the S3RVER/S3RVER credentials, and (AWS SDK v3)
 * `requestChecksumCalculation: 'WHEN_REQUIRED'` — with the default, streamed
 * PutObject bodies are stored with aws-chunked framing in them.
 *
 * ListObjectsV2 paging (ContinuationToken) needs the hosting process to run
 * with `--openssl-legacy-provider` (the root vitest config sets it in
 * execArgv); check `supportsListPaging`. AbortMultipartUpload and
 * ListMultipartUploads are not implemented by s3rver.
 */
export async function startS3(options: StartS3Options = {}): Promise<S3Emulator> {
  const bucket = options.bucket ?? 'dbrs-test';
  for (const name of [bucket, ...(options.extraBuckets ?? [])]) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
      throw new DbrsError('INVALID_ARGUMENT', `"${name}" is not a valid S3 bucket name.`, {
        hint: 'Use 3-63 lowercase letters, digits, dots or hyphens.',
      });
    }
  }
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const directory = await makeTempDir('s3');
  const unreap = reapOnExit({ dir: directory });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: !debugEnabled(),
    directory,
    configureBuckets: [bucket, ...(options.extraBuckets ?? [])].map((name) => ({ name })),
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    await removeDir(directory);
    unreap();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // SDK clients keep sockets alive; without this close() waits for them to time out.
      server.httpServer?.closeAllConnections();
      await server.close().catch(() => {});
      await removeDir(directory);
      unreap();
    })();
    return stopping;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    directory,
    supportsListPaging: desAvailable(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
