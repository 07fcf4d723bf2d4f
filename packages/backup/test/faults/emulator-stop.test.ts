// Fault suite (issue #11): the storage emulator stopped mid-upload and
// mid-download, for s3rver, azurite and the GCS fake. The promise: the
// operation fails within a bound with a storage error, no tool outlives it,
// no session is left, nothing half-done is listed once storage is back, and a
// restore whose download broke never created its target.

import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { startAzurite, startGcsFake } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../../src/index.js';
import { AzureBlobStorage } from '../../src/storage/azure.js';
import { GcsStorage } from '../../src/storage/gcs.js';
import { S3Storage } from '../../src/storage/s3.js';
import type { BackupStorage } from '../../src/storage/types.js';
import { databaseExists, type FaultFixture, faultFixture } from './fixture.js';
import { backupSessions, eventually, stillThere, watchChildren } from './leaks.js';

interface Backend {
  /** A storage adapter for the emulator as it runs now. */
  storage(): BackupStorage;
  stop(): Promise<void>;
  /** Starts it again (s3rver on the same port and directory; azurite and the GCS fake afresh). */
  start(): Promise<void>;
}

type S3rverInstance = {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
};

async function s3rverBackend(dir: string): Promise<Backend> {
  const S3rver = createRequire(import.meta.url)('s3rver') as new (o: object) => S3rverInstance;
  const directory = join(dir, 's3rver');
  const make = (port: number) =>
    new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: 'faults' }] });
  let server = make(0);
  const { port } = await server.run();
  return {
    storage: () =>
      new S3Storage({
        bucket: 'faults',
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        prefix: 'pg',
      }),
    async stop() {
      server.httpServer?.closeAllConnections();
      await server.close().catch(() => {});
    },
    async start() {
      server = make(port);
      await server.run();
    },
  };
}

async function azuriteBackend(): Promise<Backend> {
  let emu = await startAzurite({ container: 'faults', startTimeoutMs: 120_000 });
  return {
    storage: () =>
      new AzureBlobStorage({ container: emu.container, connectionString: emu.connectionString, prefix: 'pg' }),
    stop: () => emu.stop(),
    async start() {
      emu = await startAzurite({ container: 'faults', startTimeoutMs: 120_000 });
    },
  };
}

async function gcsBackend(): Promise<Backend> {
  let fake = await startGcsFake({ bucket: 'faults' });
  return {
    storage: () =>
      new GcsStorage({ bucket: fake.bucket, apiEndpoint: fake.apiEndpoint, projectId: fake.projectId, prefix: 'pg' }),
    stop: () => fake.stop(),
    async start() {
      fake = await startGcsFake({ bucket: 'faults' });
    },
  };
}

/** Observes (does not change) reads: calls `onBytes` with the bytes delivered so far by every `get` stream. */
/**
 * Counts the bytes read. When `onBytes` hands back a promise (the emulator stopping), reading pauses until it
 * settles: on an idle machine the whole object otherwise arrives before the stop lands (15 MB in 95 ms in CI),
 * and the fault never happens mid-download.
 */
function observingReads(inner: BackupStorage, onBytes: (n: number) => Promise<void> | undefined): BackupStorage {
  let total = 0;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'get') return Reflect.get(target, prop, receiver);
      return async (key: string, options?: object) => {
        const body: Readable = await target.get(key, options);
        const tap = new PassThrough();
        let paused = false;
        body.on('data', (d: Buffer) => {
          total += d.length;
          const stopping = onBytes(total);
          if (stopping && !paused) {
            paused = true;
            body.pause();
            void stopping.finally(() => body.resume());
          }
        });
        body.on('error', (err) => tap.destroy(err));
        return body.pipe(tap);
      };
    },
  });
}

const MiB = 1 << 20;
let fx: FaultFixture;
beforeAll(async () => {
  fx = await faultFixture({ noiseRows: 200_000 });
}, 600_000);
afterAll(async () => {
  await fx?.done();
});

const backends: Array<[string, (dir: string) => Promise<Backend>]> = [
  ['s3rver', s3rverBackend],
  ['azurite', () => azuriteBackend()],
  ['GCS fake', () => gcsBackend()],
];

describe.each(backends)('storage emulator stopped: %s', { timeout: 600_000 }, (_, make) => {
  let backend: Backend;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vhbk-emu-'));
    backend = await make(dir);
  }, 300_000);
  afterAll(async () => {
    await backend?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('mid-upload: the backup fails with a storage error, tools reaped, nothing listed once storage is back', async () => {
    await using mgr = new DatabaseBackupManager(fx.url, { storage: backend.storage(), compression: 'none' });
    await mgr.initialize();
    const watch = watchChildren(['pg_dump', 'zstd']);
    let stopped: Promise<void> | undefined;
    const err = await mgr
      .createBackup(undefined, {
        // A bound against a hang, far above a failing run (SDK retries included).
        signal: AbortSignal.timeout(300_000),
        onProgress: (e) => {
          if (e.phase === 'dump' && e.bytes > 2 * MiB) stopped ??= backend.stop();
        },
      })
      .catch((e) => e);
    const pids = watch.stop();
    expect(stopped, 'the emulator was stopped mid-upload').toBeDefined();
    await stopped;
    expect(err.code, err.message).toBe('STORAGE_FAILED');
    expect([...pids.values()]).toContain('pg_dump');
    expect(stillThere(pids)).toEqual([]);
    await mgr.close();
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);

    await backend.start();
    await using after = new DatabaseBackupManager(fx.url, { storage: backend.storage() });
    expect(await after.listBackups()).toEqual([]);
  });

  it('mid-download: the restore fails while proving the backup, its target is never created, no pg_restore ran', async () => {
    await using mgr = new DatabaseBackupManager(fx.url, { storage: backend.storage(), compression: 'none' });
    const { backupId } = await mgr.createBackup();
    let stopped: Promise<void> | undefined;
    const storage = observingReads(backend.storage(), (n) => {
      if (n <= 2 * MiB) return undefined;
      stopped ??= backend.stop();
      return stopped;
    });
    await using restorer = new DatabaseBackupManager(fx.url, { storage });
    const target = `${fx.dbName}_emu_${Math.random().toString(16).slice(2, 8)}`;
    const watch = watchChildren(['pg_restore']);
    const err = await restorer
      .restoreBackup(backupId, { targetDatabase: target, signal: AbortSignal.timeout(300_000) })
      .catch((e) => e);
    const pids = watch.stop();
    expect(stopped, 'the emulator was stopped mid-download').toBeDefined();
    await stopped;
    expect(err).toBeInstanceOf(Error);
    expect(err.code, err.message).not.toBe('ABORTED');
    expect(['STORAGE_FAILED', 'INTEGRITY_FAILED']).toContain(err.code);
    expect([...pids.values()]).toEqual([]);
    expect(await databaseExists(fx.observer, target)).toBe(false);
    await restorer.close();
    await mgr.close();
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);
    await backend.start();
  });
});
