import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME } from '../src/emulators/azure.js';
import { createAzureContainer, ForeignServerError } from '../src/emulators/azure-shared-key.js';
import { type AzuriteEmulator, startAzurite, startS3 } from '../src/index.js';

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

  it('tells another server on the port from Azurite refusing (CI once met s3rver there: "Unsupported Authorization Type")', async () => {
    // s3rver binds a kernel-chosen port in-process; started alongside, it can take the port findFreePort()
    // picked for Azurite before Azurite binds it. Its answer has no Azurite Server header.
    await using s3 = await startS3({ bucket: 'not-azure' });
    const foreign = await createAzureContainer({
      blobEndpoint: `${s3.endpoint}/${AZURITE_ACCOUNT_NAME}`,
      accountName: AZURITE_ACCOUNT_NAME,
      accountKey: AZURITE_ACCOUNT_KEY,
      container: 'backups',
    }).catch((e) => e);
    expect(foreign).toBeInstanceOf(ForeignServerError);
    expect(foreign.message).toMatch(/Not Azurite on 127\.0\.0\.1:\d+: 400 /);
    // Azurite itself answers (409: the container exists) and is accepted.
    await expect(
      createAzureContainer({
        blobEndpoint: azurite.blobEndpoint,
        accountName: AZURITE_ACCOUNT_NAME,
        accountKey: AZURITE_ACCOUNT_KEY,
        container: 'backups',
      }),
    ).resolves.toBeUndefined();
    // A real refusal by Azurite is still an error, not a retry: a wrong key.
    const refused = await createAzureContainer({
      blobEndpoint: azurite.blobEndpoint,
      accountName: AZURITE_ACCOUNT_NAME,
      accountKey: Buffer.from('wrong key').toString('base64'),
      container: 'other',
    }).catch((e) => e);
    expect(refused).not.toBeInstanceOf(ForeignServerError);
    expect(refused.message).toMatch(/Creating Azure container "other" failed: 403/);
  });
});
