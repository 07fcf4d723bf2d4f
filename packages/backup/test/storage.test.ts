import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDbrsError } from '@voicehive/db-core';
import {
  type AzuriteEmulator,
  type GcsFake,
  type S3Emulator,
  startAzurite,
  startGcsFake,
  startS3,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStorage } from '../src/storage/azure.js';
import { GcsStorage } from '../src/storage/gcs.js';
import { LocalStorage } from '../src/storage/local.js';
import { S3Storage } from '../src/storage/s3.js';
import { describeStorageContract, randomStream, sha256Of } from './storage-contract.js';

const MiB = 1024 * 1024;
const env = process.env;

async function codeOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: isDbrsError(error) ? error.code : undefined, message: (error as Error).message };
  }
  throw new Error('expected a rejection');
}

/** Every file under `dir`, hidden ones included: temp files must not survive a failed put. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

// ---------------------------------------------------------------- local
const localRoots: string[] = [];
afterAll(async () => {
  for (const dir of localRoots) await rm(dir, { recursive: true, force: true });
});

let localRoot: string | undefined;
describeStorageContract('local', async () => {
  localRoot ??= await mkdtemp(join(tmpdir(), 'dbrs-local-'));
  localRoots.push(localRoot);
  const root = localRoot;
  return {
    storage: new LocalStorage({ path: join(root, 'backups') }),
    leftovers: async () => (await allFiles(root)).filter((f) => f.includes('.dbrs-tmp-')),
  };
});

// ---------------------------------------------------------------- S3 (s3rver)
let s3: S3Emulator | undefined;
const s3Ready = (async () => {
  s3 = await startS3({ bucket: 'dbrs-contract' });
  return s3;
})();
s3Ready.catch(() => {}); // reported by the tests that await it
afterAll(async () => {
  await (await s3Ready.catch(() => undefined))?.stop();
});

function s3Storage(emulator: S3Emulator, overrides: Partial<ConstructorParameters<typeof S3Storage>[0]> = {}) {
  return new S3Storage({
    bucket: emulator.bucket,
    region: emulator.region,
    endpoint: emulator.endpoint,
    credentials: emulator.credentials,
    prefix: 'pg-backups',
    ...overrides,
  });
}

describeStorageContract('s3 (s3rver)', async () => {
  const emulator = await s3Ready;
  return { storage: s3Storage(emulator), secrets: [emulator.credentials.secretAccessKey] };
});

describe('S3Storage against s3rver', () => {
  // s3rver checks the access key id but does not verify SigV4 signatures
  // (lib/middleware/authentication.js: "Signature version 4 calculation is
  // unimplemented"), so a wrong secret alone would pass; a wrong key id is
  // what it can refuse. SignatureDoesNotMatch is covered in storage-units.
  it('maps wrong credentials to STORAGE_AUTH_FAILED without leaking the secret', async () => {
    const emulator = await s3Ready;
    const secret = 'not-the-right-secret-9f8e7d';
    const storage = s3Storage(emulator, { credentials: { accessKeyId: 'AKIAWRONGKEY', secretAccessKey: secret } });
    for (const attempt of [
      () => storage.put('a/b', Buffer.from('x')),
      () => storage.head('a/b'),
      () => storage.ensure(),
    ]) {
      const result = await codeOf(attempt());
      expect(result.code).toBe('STORAGE_AUTH_FAILED');
      expect(result.message).not.toContain(secret);
      expect(result.message).toMatch(/InvalidAccessKeyId|403/);
    }
    await storage.close();
  });

  it('reports a missing bucket from ensure() as STORAGE_FAILED', async () => {
    const emulator = await s3Ready;
    const storage = s3Storage(emulator, { bucket: 'no-such-bucket' });
    const result = await codeOf(storage.ensure());
    expect(result.code).toBe('STORAGE_FAILED');
    expect(result.message).toContain('no-such-bucket');
    await storage.close();
  });

  it('stores a 20 MiB multipart object byte-identical on disk (no aws-chunked framing)', async () => {
    const emulator = await s3Ready;
    const storage = s3Storage(emulator, { prefix: 'framing' });
    const source = randomStream(20 * MiB);
    await storage.put('obj', source.stream);
    const head = await storage.head('obj');
    expect(head?.size).toBe(20 * MiB);
    expect((await sha256Of(await storage.get('obj'))).hex).toBe(source.digest());
    // Streamed single PutObjects were where the framing crept in; check one.
    const small = randomStream(300_000);
    await storage.put('small', small.stream);
    expect((await storage.head('small'))?.size).toBe(300_000);
    await storage.deleteMany(['obj', 'small']);
    await storage.close();
  });
});

// ---------------------------------------------------------------- Azure (azurite)
let azurite: AzuriteEmulator | undefined;
const azuriteReady = (async () => {
  azurite = await startAzurite({ container: 'dbrs-contract' });
  return azurite;
})();
azuriteReady.catch(() => {}); // reported by the tests that await it
afterAll(async () => {
  await (await azuriteReady.catch(() => undefined))?.stop();
});

describeStorageContract('azure (azurite)', async () => {
  const emulator = await azuriteReady;
  return {
    storage: new AzureBlobStorage({
      container: emulator.container,
      connectionString: emulator.connectionString,
      prefix: 'pg-backups',
      blockSize: 4 * MiB,
    }),
    secrets: [emulator.accountKey],
  };
});

describe('AzureBlobStorage against azurite', () => {
  it('maps a wrong account key to STORAGE_AUTH_FAILED without leaking it', async () => {
    const emulator = await azuriteReady;
    const wrongKey = Buffer.from('definitely-not-the-azurite-key-0123456789').toString('base64');
    const storage = new AzureBlobStorage({
      container: emulator.container,
      connectionString: emulator.connectionString.replace(emulator.accountKey, wrongKey),
    });
    for (const attempt of [() => storage.put('a/b', Buffer.from('x')), () => storage.head('a/b')]) {
      const result = await codeOf(attempt());
      expect(result.code).toBe('STORAGE_AUTH_FAILED');
      expect(result.message).not.toContain(wrongKey);
    }
  });

  it('creates a missing container in ensure() and works with url + StorageSharedKeyCredential', async () => {
    const emulator = await azuriteReady;
    const { StorageSharedKeyCredential } = await import('@azure/storage-blob');
    const storage = new AzureBlobStorage({
      container: 'created-by-ensure',
      url: emulator.blobEndpoint,
      credential: new StorageSharedKeyCredential(emulator.accountName, emulator.accountKey),
    });
    await expect(codeOf(storage.put('x', Buffer.from('1')))).resolves.toMatchObject({ code: 'STORAGE_FAILED' });
    await storage.ensure();
    await storage.ensure();
    await storage.put('x', Buffer.from('1'));
    expect((await storage.head('x'))?.size).toBe(1);
    expect(storage.location).not.toContain(emulator.accountKey);
  });
});

describe('AzureBlobStorage with a SAS token', () => {
  it('reads and writes with a container SAS, keeps the signature out of location, and maps a read-only SAS to STORAGE_AUTH_FAILED', async () => {
    const emulator = await azuriteReady;
    const sdk = await import('@azure/storage-blob');
    const credential = new sdk.StorageSharedKeyCredential(emulator.accountName, emulator.accountKey);
    const sasFor = (permissions: string) =>
      sdk
        .generateBlobSASQueryParameters(
          {
            containerName: emulator.container,
            permissions: sdk.ContainerSASPermissions.parse(permissions),
            expiresOn: new Date(Date.now() + 3_600_000),
          },
          credential,
        )
        .toString();
    const writable = sasFor('racwdl');
    const storage = new AzureBlobStorage({
      container: emulator.container,
      url: emulator.blobEndpoint,
      sasToken: writable,
    });
    await storage.put('sas/obj', Buffer.from('via sas'), { metadata: { via: 'sas' } });
    expect((await storage.head('sas/obj'))?.metadata).toEqual({ via: 'sas' });
    expect(storage.location).not.toContain('sig=');

    const readOnly = new AzureBlobStorage({
      container: emulator.container,
      url: emulator.blobEndpoint,
      sasToken: sasFor('rl'),
    });
    const result = await codeOf(readOnly.put('sas/denied', Buffer.from('x')));
    expect(result.code).toBe('STORAGE_AUTH_FAILED');
    expect(result.message).not.toContain(new URLSearchParams(writable).get('sig') ?? 'no-sig');
    expect(await storage.head('sas/denied')).toBeUndefined();
    await storage.delete('sas/obj');
  });
});

// ---------------------------------------------------------------- GCS (in-repo fake)
let gcs: GcsFake | undefined;
const gcsReady = (async () => {
  gcs = await startGcsFake({ bucket: 'dbrs-contract' });
  return gcs;
})();
gcsReady.catch(() => {}); // reported by the tests that await it
afterAll(async () => {
  await (await gcsReady.catch(() => undefined))?.stop();
});

describeStorageContract('gcs (fake)', async () => {
  const fake = await gcsReady;
  return {
    storage: new GcsStorage({
      bucket: fake.bucket,
      apiEndpoint: fake.apiEndpoint,
      projectId: fake.projectId,
      prefix: 'pg-backups',
    }),
  };
});

/**
 * A pass-through proxy in front of the GCS fake that corrupts what a real
 * server never would: it rewrites the crc32c GCS reports for a finished
 * upload, or flips a byte of a download.
 */
async function corruptingProxy(target: string, mode: { uploadCrc?: boolean; flipDownload?: boolean }) {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          let body = Buffer.concat(chunks);
          const isMedia = req.method === 'GET' && (req.url ?? '').includes('alt=media');
          if (mode.flipDownload && isMedia && body.length > 0) body[body.length >> 1]! ^= 0xff;
          if (mode.uploadCrc && req.method === 'PUT' && (req.url ?? '').includes('upload_id') && body.length > 0) {
            const json = JSON.parse(body.toString()) as Record<string, unknown>;
            if (json['crc32c']) json['crc32c'] = 'AAAAAA==';
            body = Buffer.from(JSON.stringify(json));
          }
          const headers = { ...up.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('GcsStorage against the fake', () => {
  it('detects a CRC32C mismatch on upload and leaves nothing under the key', async () => {
    const fake = await gcsReady;
    const proxy = await corruptingProxy(fake.apiEndpoint, { uploadCrc: true });
    try {
      const storage = new GcsStorage({ bucket: fake.bucket, apiEndpoint: proxy.endpoint, projectId: fake.projectId });
      const result = await codeOf(storage.put('crc/upload', randomStream(2 * MiB).stream));
      expect(result.code).toBe('INTEGRITY_FAILED');
      expect(await storage.head('crc/upload')).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  it('detects a CRC32C mismatch on download', async () => {
    const fake = await gcsReady;
    const direct = new GcsStorage({ bucket: fake.bucket, apiEndpoint: fake.apiEndpoint, projectId: fake.projectId });
    await direct.put('crc/download', randomStream(1 * MiB).stream);
    const proxy = await corruptingProxy(fake.apiEndpoint, { flipDownload: true });
    try {
      const storage = new GcsStorage({ bucket: fake.bucket, apiEndpoint: proxy.endpoint, projectId: fake.projectId });
      const result = await codeOf(sha256Of(await storage.get('crc/download')));
      expect(result.code).toBe('INTEGRITY_FAILED');
    } finally {
      await proxy.close();
      await direct.delete('crc/download');
    }
  });

  it('fails with STORAGE_FAILED when the upload connection drops, and nothing appears', async () => {
    const fake = await gcsReady;
    const storage = new GcsStorage({
      bucket: fake.bucket,
      apiEndpoint: fake.apiEndpoint,
      projectId: fake.projectId,
      maxRetries: 0,
    });
    fake.injectFault({ failAfterBytes: 1 * MiB, times: 5 });
    try {
      const result = await codeOf(storage.put('dropped/obj', randomStream(4 * MiB).stream));
      expect(result.code).toBe('STORAGE_FAILED');
      expect(await storage.head('dropped/obj')).toBeUndefined();
    } finally {
      fake.clearFaults();
    }
  });
});

/**
 * An endpoint that accepts requests and never answers: a hung server, which
 * the GCS fake cannot be made into. `received` resolves with the first request's path.
 */
async function hungEndpoint() {
  let onRequest!: (path: string) => void;
  const received = new Promise<string>((resolve) => {
    onRequest = resolve;
  });
  const server: Server = createServer((req) => onRequest(req.url ?? ''));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// The server never answers, so without the signal the metadata request would wait for the SDK's own
// timeout (minutes); the 20 s test timeout passes only if the abort rejects the call itself.
describe('GcsStorage metadata requests honour the abort signal', () => {
  for (const op of ['head', 'get'] as const) {
    it(`${op}: an abort while GCS has not answered rejects with ABORTED`, { timeout: 20_000 }, async () => {
      const hung = await hungEndpoint();
      try {
        const storage = new GcsStorage({ bucket: 'b', apiEndpoint: hung.endpoint, projectId: 'p', maxRetries: 0 });
        const ac = new AbortController();
        const call =
          op === 'head' ? storage.head('k/obj', { signal: ac.signal }) : storage.get('k/obj', { signal: ac.signal });
        const settled = call.then(
          () => 'resolved',
          (error: unknown) => error,
        );
        expect(await hung.received).toContain('/o/k%2Fobj');
        ac.abort();
        const outcome = await settled;
        expect(isDbrsError(outcome, 'ABORTED')).toBe(true);
      } finally {
        await hung.close();
      }
    });
  }
});

// ---------------------------------------------------------------- real services (only with credentials)
describeStorageContract(
  's3 (real AWS)',
  async () => ({
    storage: new S3Storage({
      bucket: env['DBRS_TEST_S3_BUCKET']!,
      ...(env['DBRS_TEST_S3_REGION'] ? { region: env['DBRS_TEST_S3_REGION'] } : {}),
      prefix: env['DBRS_TEST_S3_PREFIX'] ?? 'dbrs-contract',
    }),
    secrets: [env['AWS_SECRET_ACCESS_KEY'] ?? 'no-secret-set'],
  }),
  {
    enabled: Boolean(env['DBRS_TEST_S3_BUCKET'] && (env['AWS_ACCESS_KEY_ID'] || env['AWS_PROFILE'])),
    skipReason: 'set DBRS_TEST_S3_BUCKET and AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)',
  },
);

describeStorageContract(
  'azure (real)',
  async () => ({
    storage: new AzureBlobStorage({
      container: env['DBRS_TEST_AZURE_CONTAINER'] ?? 'dbrs-contract',
      connectionString: env['DBRS_TEST_AZURE_CONNECTION_STRING']!,
      prefix: 'dbrs-contract',
    }),
    secrets: [/AccountKey=([^;]+)/.exec(env['DBRS_TEST_AZURE_CONNECTION_STRING'] ?? '')?.[1] ?? 'no-secret-set'],
  }),
  {
    enabled: Boolean(env['DBRS_TEST_AZURE_CONNECTION_STRING']),
    skipReason: 'set DBRS_TEST_AZURE_CONNECTION_STRING (and optionally DBRS_TEST_AZURE_CONTAINER)',
  },
);

describeStorageContract(
  'gcs (real)',
  async () => ({
    storage: new GcsStorage({ bucket: env['DBRS_TEST_GCS_BUCKET']!, prefix: 'dbrs-contract' }),
  }),
  {
    enabled: Boolean(env['DBRS_TEST_GCS_BUCKET'] && env['GOOGLE_APPLICATION_CREDENTIALS']),
    skipReason: 'set DBRS_TEST_GCS_BUCKET and GOOGLE_APPLICATION_CREDENTIALS',
  },
);

beforeAll(async () => {
  // Start the emulators side by side rather than one after another.
  await Promise.allSettled([s3Ready, azuriteReady, gcsReady]);
});
