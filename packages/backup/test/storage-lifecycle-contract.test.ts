import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type AzuriteEmulator,
  type GcsFake,
  type S3Emulator,
  startAzurite,
  startGcsFake,
  startS3,
} from '@voicehive/db-testing';
import { describeResourceOwnerContract } from '@voicehive/db-testing/contracts';
import { afterAll } from 'vitest';
import { AzureBlobStorage } from '../src/storage/azure.js';
import { GcsStorage } from '../src/storage/gcs.js';
import { LocalStorage } from '../src/storage/local.js';
import { S3Storage } from '../src/storage/s3.js';
import type { BackupStorage } from '../src/storage/types.js';

/*
 * The one lifecycle contract (the lifecycle rule in packages/core/README.md, issue #13 §2) run against the
 * storage adapters (local, S3 against s3rver, Azure against azurite, GCS against the harness's fake): close
 * twice, use after close is CLOSED, `await using`, an already-aborted put, and an abort during an upload whose
 * source stalls (the adapter is mid-put, waiting for bytes). Nothing may be visible under the contract's
 * keys afterwards, and the local adapter leaves no temporary file. The data-path behaviour of each adapter
 * is the storage contract's (storage.test.ts).
 */

const KEY = 'lifecycle-contract/blocked.bin';

/**
 * The source of the upload the abort-during case aborts: 256 KiB, then nothing until the gate opens. While
 * a gate is set (between `block()` and its release) the put stalls mid-upload; `reached` turns true once
 * the adapter has asked for more than the first chunk.
 */
let gate: Promise<void> | undefined;
let asked = 0;
function stallingSource(): Readable {
  asked = 0;
  const wait = gate;
  let sent = 0;
  return new Readable({
    async read() {
      asked++;
      if (sent === 0) {
        sent++;
        this.push(Buffer.alloc(256 * 1024, 1));
        return;
      }
      if (wait) await wait;
      this.push(null);
    },
  });
}
const block = async () => {
  let open!: () => void;
  gate = new Promise<void>((r) => (open = r));
  return async () => {
    open();
    gate = undefined;
  };
};
const reached = async () => asked > 1;

async function visible(storage: BackupStorage): Promise<string[]> {
  const keys: string[] = [];
  try {
    for await (const o of storage.list('lifecycle-contract/')) keys.push(o.key);
  } finally {
    await storage.close();
  }
  return keys;
}

function target(name: string, create: () => Promise<BackupStorage>, extra?: () => Promise<string[]>) {
  describeResourceOwnerContract<BackupStorage>({
    name,
    create,
    operate: (s, signal) => s.put('lifecycle-contract/probe', Buffer.from('x'), { ...(signal ? { signal } : {}) }),
    abortable: (s, signal) => s.put(KEY, stallingSource(), { signal }),
    block,
    reached,
    // The probe object is the operation's own result; only the aborted upload must have left nothing.
    leftovers: async () => [
      ...(await visible(await create())).filter((k) => k !== 'lifecycle-contract/probe'),
      ...((await extra?.()) ?? []),
    ],
  });
}

// ---------------------------------------------------------------- local
const localRoot = await mkdtemp(join(tmpdir(), 'dbrs-lifecycle-local-'));
afterAll(async () => {
  await rm(localRoot, { recursive: true, force: true });
});
target(
  'LocalStorage',
  async () => new LocalStorage({ path: join(localRoot, 'backups') }),
  async () =>
    (await readdir(localRoot, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.includes('.dbrs-tmp-'))
      .map((e) => join(e.parentPath, e.name)),
);

// ---------------------------------------------------------------- S3 (s3rver)
let s3: S3Emulator | undefined;
const s3Ready = startS3({ bucket: 'dbrs-lifecycle' }).then((e) => (s3 = e));
s3Ready.catch(() => {}); // reported by the tests that await it
afterAll(async () => {
  await s3?.stop();
});
target('S3Storage (s3rver)', async () => {
  const e = await s3Ready;
  return new S3Storage({
    bucket: e.bucket,
    region: e.region,
    endpoint: e.endpoint,
    credentials: e.credentials,
    prefix: 'pg-backups',
  });
});

// ---------------------------------------------------------------- Azure (azurite)
let azurite: AzuriteEmulator | undefined;
const azuriteReady = startAzurite({ container: 'dbrs-lifecycle' }).then((e) => (azurite = e));
azuriteReady.catch(() => {});
afterAll(async () => {
  await azurite?.stop();
});
target('AzureBlobStorage (azurite)', async () => {
  const e = await azuriteReady;
  return new AzureBlobStorage({ container: e.container, connectionString: e.connectionString, prefix: 'pg-backups' });
});

// ---------------------------------------------------------------- GCS (the harness's JSON-API fake)
let gcs: GcsFake | undefined;
const gcsReady = startGcsFake({ bucket: 'dbrs-lifecycle' }).then((e) => (gcs = e));
gcsReady.catch(() => {});
afterAll(async () => {
  await gcs?.stop();
});
target('GcsStorage (fake)', async () => {
  const e = await gcsReady;
  return new GcsStorage({ bucket: e.bucket, apiEndpoint: e.apiEndpoint, projectId: e.projectId, prefix: 'pg-backups' });
});
