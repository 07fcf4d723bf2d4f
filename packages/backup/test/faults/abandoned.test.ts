// Issue #11 item 5: what a killed upload leaves, per backend, and who removes it.
// Local: `.dbrs-tmp-*` files and orphan sidecars, swept by cleanup after the
// grace period (the SIGKILL case itself is in cli-kill.test.ts). S3: multipart
// uploads, aborted by cleanup through ListMultipartUploads; s3rver does not
// implement that call, so it is exercised with an injected client (the one
// thing a real s3rver cannot answer) and the real s3rver shows the UNSUPPORTED
// path: cleanup reports it instead of failing.
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import type { S3Client } from '@aws-sdk/client-s3';
import { startS3 } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../../src/index.js';
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';
import { type FaultFixture, faultFixture } from './fixture.js';

let fx: FaultFixture;
beforeAll(async () => {
  fx = await faultFixture({ noiseRows: 1_000 });
}, 600_000);
afterAll(async () => {
  await fx?.done();
});

const HOUR = 3_600_000;

describe('LocalStorage.sweepAbandoned', { timeout: 600_000 }, () => {
  it('removes old temp files and orphan sidecars, keeps fresh ones and real objects, removes emptied folders', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vhbk-sweep-'));
    const storage = new LocalStorage({ path: root });
    await storage.put('db/20260101T000000000Z-aaaaaa/globals.sql', Buffer.from('kept'));
    const folder = join(root, 'db', '20260101T000000000Z-aaaaaa');
    const lonely = join(root, 'db', '20260101T000000000Z-bbbbbb');
    await mkdir(lonely, { recursive: true });
    const old = new Date(Date.now() - 3 * HOUR);
    const files = {
      oldTemp: join(folder, '.dbrs-tmp-11111111-1111-1111-1111-111111111111'),
      freshTemp: join(folder, '.dbrs-tmp-22222222-2222-2222-2222-222222222222'),
      orphanSidecar: join(folder, 'dump.pgdump.dbrs-meta.json'),
      lonelyTemp: join(lonely, '.dbrs-tmp-33333333-3333-3333-3333-333333333333'),
    };
    for (const f of Object.values(files)) await writeFile(f, Buffer.alloc(4096, 7));
    for (const f of [files.oldTemp, files.orphanSidecar, files.lonelyTemp]) await utimes(f, old, old);

    const olderThan = new Date(Date.now() - HOUR);
    const dry = await storage.sweepAbandoned({ olderThan, dryRun: true });
    expect(dry.map((a) => a.key).sort()).toEqual(
      [
        'db/20260101T000000000Z-aaaaaa/.dbrs-tmp-11111111-1111-1111-1111-111111111111',
        'db/20260101T000000000Z-aaaaaa/dump.pgdump.dbrs-meta.json',
        'db/20260101T000000000Z-bbbbbb/.dbrs-tmp-33333333-3333-3333-3333-333333333333',
      ].sort(),
    );
    expect(dry.every((a) => a.bytes === 4096)).toBe(true);
    expect((await readdir(folder)).length).toBe(5);

    await storage.sweepAbandoned({ olderThan });
    expect((await readdir(folder)).sort()).toEqual(
      ['.dbrs-tmp-22222222-2222-2222-2222-222222222222', 'globals.sql', 'globals.sql.dbrs-meta.json'].sort(),
    );
    expect(await readdir(join(root, 'db'))).toEqual(['20260101T000000000Z-aaaaaa']);
    expect(await text(await storage.get('db/20260101T000000000Z-aaaaaa/globals.sql'))).toBe('kept');
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });
});

/** An S3 client that answers only the multipart-listing calls (s3rver has no ListMultipartUploads). */
function multipartClient(uploads: Array<{ Key: string; UploadId: string; Initiated: Date }>) {
  const aborted: string[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      if (name === 'ListObjectsV2Command') return { Contents: [], IsTruncated: false };
      if (name === 'ListMultipartUploadsCommand') {
        // Two pages, to exercise the markers.
        const first = command.input['KeyMarker'] === undefined;
        const page = first ? uploads.slice(0, 1) : uploads.slice(1);
        return first
          ? { Uploads: page, IsTruncated: true, NextKeyMarker: page[0]?.Key, NextUploadIdMarker: page[0]?.UploadId }
          : { Uploads: page, IsTruncated: false };
      }
      if (name === 'AbortMultipartUploadCommand') {
        aborted.push(`${command.input['Key']}#${command.input['UploadId']}`);
        return {};
      }
      throw new Error(`unexpected ${name}`);
    },
    destroy() {},
  };
  return { client: client as unknown as S3Client, aborted };
}

describe('S3: abandoned multipart uploads', { timeout: 600_000 }, () => {
  it('cleanup aborts multipart uploads older than the grace period, under the prefix only (injected client)', async () => {
    const now = new Date();
    const { client, aborted } = multipartClient([
      {
        Key: 'pg/db/20260101T000000000Z-aaaaaa/dump.pgdump.zst',
        UploadId: 'old-1',
        Initiated: new Date(now.getTime() - 48 * HOUR),
      },
      {
        Key: 'pg/db/20260101T000000000Z-bbbbbb/dump.pgdump.zst',
        UploadId: 'fresh-1',
        Initiated: new Date(now.getTime() - HOUR),
      },
    ]);
    const storage = new S3Storage({ bucket: 'b', prefix: 'pg', client });
    await using mgr = new DatabaseBackupManager(fx.url, { storage, incompleteGraceMs: 24 * HOUR });
    const dry = await mgr.cleanupOldBackups({ dryRun: true, now });
    expect(dry.abandonedRemoved.map((a) => a.key)).toEqual(['db/20260101T000000000Z-aaaaaa/dump.pgdump.zst']);
    expect(aborted).toEqual([]);
    const real = await mgr.cleanupOldBackups({ now });
    expect(real.abandonedRemoved).toHaveLength(1);
    expect(aborted).toEqual(['pg/db/20260101T000000000Z-aaaaaa/dump.pgdump.zst#old-1']);
  });

  it('real s3rver: ListMultipartUploads is not implemented, cleanup says so and still applies retention', async () => {
    const s3 = await startS3({ bucket: 'dbrs-sweep' });
    try {
      const storage = new S3Storage({
        bucket: s3.bucket,
        region: s3.region,
        endpoint: s3.endpoint,
        credentials: s3.credentials,
        prefix: 'pg',
      });
      await expect(storage.sweepAbandoned({ olderThan: new Date() })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      await using mgr = new DatabaseBackupManager(fx.url, { storage, keepLast: 1 });
      await mgr.createBackup();
      await mgr.createBackup();
      const r = await mgr.cleanupOldBackups();
      expect(r.deleted).toHaveLength(1);
      expect(r.abandonedRemoved).toEqual([]);
      expect(r.abandonedNotSwept).toMatch(/ListMultipartUploads/);
    } finally {
      await s3.stop();
    }
  });
});
