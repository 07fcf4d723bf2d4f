import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzuriteEmulator, startAzurite } from '../src/index.js';

describe('startAzurite', () => {
  let azurite: AzuriteEmulator;

  beforeAll(async () => {
    azurite = await startAzurite({ container: 'backups' });
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('serves a ready container for uploads, downloads and listing', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = service.getContainerClient(azurite.container);
    expect(await container.exists()).toBe(true);
    const data = randomBytes(5 * 1024 * 1024);
    const blob = container.getBlockBlobClient('db/full.dump');
    await blob.uploadStream(Readable.from([data]), 1024 * 1024, 2, { metadata: { kind: 'logical' } });
    const downloaded = await blob.downloadToBuffer();
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect((await blob.getProperties()).metadata).toEqual({ kind: 'logical' });
    const names: string[] = [];
    for await (const item of container.listBlobsFlat({ prefix: 'db/' })) names.push(item.name);
    expect(names).toEqual(['db/full.dump']);
  });

  it('stops idempotently', async () => {
    const other = await startAzurite();
    const endpoint = other.blobEndpoint;
    await Promise.all([other.stop(), other.stop()]);
    await expect(fetch(endpoint)).rejects.toThrow();
  });
});
