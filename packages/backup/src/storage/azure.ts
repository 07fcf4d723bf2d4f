import type { Readable } from 'node:stream';
import type {
  AnonymousCredential,
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { abortError, DbrsError, redactString, throwIfAborted } from '@voicehive/db-core';
import { downloadStream } from './download-stream.js';
import { normalizeRootPrefix, validatePrefix } from './keys.js';
import { loadSdk, type ModuleImporter } from './load-sdk.js';
import { StorageBase } from './storage-base.js';
import type { BackupStorage, GetOptions, ListOptions, ObjectInfo, PutOptions } from './types.js';
import type { UploadSource } from './upload-source.js';

type AzureModule = typeof import('@azure/storage-blob');
/** The shape of @azure/core-auth's TokenCredential (DefaultAzureCredential and friends). */
export interface AzureTokenCredential {
  getToken(scopes: string | string[], options?: unknown): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}
/** StorageSharedKeyCredential, AnonymousCredential or a TokenCredential (e.g. DefaultAzureCredential). */
export type AzureCredential = StorageSharedKeyCredential | AnonymousCredential | AzureTokenCredential;

const INSTALL = ['@azure/storage-blob'] as const;
const MiB = 1024 * 1024;
const AUTH_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationSourceIPMismatch',
  'AuthorizationServiceMismatch',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
]);
const AUTH_HINT =
  'Check the account key, SAS token (its expiry and its r/w/l/d/c permissions) or the identity\'s "Storage Blob Data Contributor" role on the container.';

export interface AzureBlobStorageOptions {
  container: string;
  /** `DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;` (or with SharedAccessSignature). */
  connectionString?: string;
  /** Account or container-less service URL, e.g. `https://acct.blob.core.windows.net`; with `sasToken` or `credential`. */
  url?: string;
  /** A SAS token for `url` (with or without the leading "?"). */
  sasToken?: string;
  /** With `url`: StorageSharedKeyCredential or a TokenCredential from @azure/identity. */
  credential?: AzureCredential;
  /** A ready ContainerClient; the other connection options are then ignored. */
  containerClient?: ContainerClient;
  /** Folder inside the container that holds every key. Default ''. */
  prefix?: string;
  /** Block size for uploads; the block list is committed only when the stream ends. Default 8 MiB. */
  blockSize?: number;
  /** Blocks staged concurrently. Default 4. */
  concurrency?: number;
  /** How the SDK is imported; for tests and bundlers. Default `import()`. */
  importModule?: ModuleImporter;
}

/**
 * Azure Blob Storage (block blobs). A put stages blocks and commits the block
 * list only after the whole stream was read, so a failed or aborted upload
 * leaves nothing visible (uncommitted blocks expire on their own after 7 days).
 */
export class AzureBlobStorage extends StorageBase implements BackupStorage {
  readonly kind = 'azure' as const;
  readonly location: string;
  private readonly options: AzureBlobStorageOptions;
  private readonly root: string;
  private loaded: Promise<{ sdk: AzureModule; container: ContainerClient }> | undefined;

  constructor(options: AzureBlobStorageOptions) {
    super();
    if (!options?.containerClient && (typeof options?.container !== 'string' || options.container.trim() === '')) {
      throw new DbrsError('CONFIG_INVALID', 'AzureBlobStorage needs a container name.', {
        hint: 'Set `azureContainer` (BACKUP_AZURE_CONTAINER).',
      });
    }
    if (!options.containerClient && !options.connectionString && !options.url) {
      throw new DbrsError(
        'CONFIG_INVALID',
        'AzureBlobStorage needs a connection string, or a URL with a SAS token or credential.',
        {
          hint: 'Set `azureConnectionString` (BACKUP_AZURE_CONNECTION_STRING), or pass { url, sasToken } / { url, credential }.',
        },
      );
    }
    if (options.url && !options.sasToken && !options.credential && !options.url.includes('?')) {
      throw new DbrsError('CONFIG_INVALID', 'AzureBlobStorage was given a URL without a SAS token or credential.', {
        hint: 'Pass `sasToken`, or `credential` (StorageSharedKeyCredential or a TokenCredential such as DefaultAzureCredential).',
      });
    }
    this.options = options;
    this.root = normalizeRootPrefix(options.prefix);
    const container = options.containerClient?.containerName ?? options.container;
    this.location = `azure://${accountOf(options)}/${container}/${this.root}`;
  }

  /** Creates the container when it does not exist and checks the credentials. */
  async ensure(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { container } = await this.load();
    try {
      await container.createIfNotExists({ abortSignal: options.signal });
    } catch (error) {
      throw this.mapError(error, 'create the container', undefined, options.signal);
    }
  }

  protected async putObject(
    key: string,
    source: UploadSource,
    metadata: Record<string, string>,
    options: PutOptions,
  ): Promise<{ key: string; size: number }> {
    let size = 0;
    try {
      source.throwIfAborted();
      const { container } = await this.load();
      const blob = container.getBlockBlobClient(this.root + key);
      // No 'data' listener of our own: it would start the stream flowing before
      // the SDK's scheduler listens. The staged-bytes total is the size.
      await blob.uploadStream(source.stream, this.options.blockSize ?? 8 * MiB, this.options.concurrency ?? 4, {
        metadata,
        blobHTTPHeaders: { blobContentType: options.contentType ?? 'application/octet-stream' },
        abortSignal: options.signal,
        onProgress: (p) => {
          size = p.loadedBytes;
          options.onProgress?.(p.loadedBytes);
        },
      });
      source.throwIfAborted();
      return { key, size };
    } catch (error) {
      source.dispose(error);
      throw source.failure(error, (e) => this.mapError(e, 'upload', key));
    }
  }

  protected async getObject(key: string, options: GetOptions): Promise<Readable> {
    const { container } = await this.load();
    const { range } = options;
    const offset = range?.start ?? 0;
    const count = range?.end === undefined ? undefined : range.end - range.start + 1;
    try {
      const response = await container
        .getBlobClient(this.root + key)
        .download(offset, count, { abortSignal: options.signal });
      return downloadStream(response.readableStreamBody as Readable, options.signal, `download of "${key}"`, (e) =>
        this.mapError(e, 'download', key),
      );
    } catch (error) {
      throw this.mapError(error, 'download', key, options.signal);
    }
  }

  protected async headObject(key: string, options: { signal?: AbortSignal }): Promise<ObjectInfo | undefined> {
    const { container } = await this.load();
    try {
      const p = await container.getBlobClient(this.root + key).getProperties({ abortSignal: options.signal });
      return {
        key,
        size: p.contentLength ?? 0,
        lastModified: p.lastModified ?? new Date(0),
        metadata: { ...(p.metadata ?? {}) },
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.mapError(error, 'head', key, options.signal);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    this.assertOpen();
    validatePrefix(prefix);
    const { signal } = options;
    throwIfAborted(signal, 'listing');
    const { container } = await this.load();
    const pages = container
      .listBlobsFlat({ prefix: this.root + prefix, includeMetadata: true, abortSignal: signal })
      .byPage(options.pageSize ? { maxPageSize: options.pageSize } : {});
    try {
      for await (const page of pages) {
        throwIfAborted(signal, 'listing');
        for (const item of page.segment.blobItems) {
          yield {
            key: item.name.slice(this.root.length),
            size: item.properties.contentLength ?? 0,
            lastModified: item.properties.lastModified,
            metadata: { ...(item.metadata ?? {}) },
          };
        }
      }
    } catch (error) {
      throw this.mapError(error, 'list', prefix, signal);
    }
  }

  protected async deleteObject(key: string, options: { signal?: AbortSignal }): Promise<void> {
    const { container } = await this.load();
    try {
      // Snapshots go with the blob: otherwise a blob with snapshots cannot be deleted.
      await container
        .getBlobClient(this.root + key)
        .deleteIfExists({ abortSignal: options.signal, deleteSnapshots: 'include' });
    } catch (error) {
      throw this.mapError(error, 'delete', key, options.signal);
    }
  }

  private load(): Promise<{ sdk: AzureModule; container: ContainerClient }> {
    this.assertOpen();
    this.loaded ??= (async () => {
      const sdk = await loadSdk<AzureModule>('@azure/storage-blob', {
        install: INSTALL,
        feature: 'The Azure Blob storage adapter',
        importer: this.options.importModule,
      });
      return { sdk, container: this.options.containerClient ?? this.containerClient(sdk) };
    })();
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }

  private containerClient(sdk: AzureModule): ContainerClient {
    const o = this.options;
    let service: BlobServiceClient;
    try {
      if (o.connectionString) {
        service = sdk.BlobServiceClient.fromConnectionString(o.connectionString);
      } else if (o.sasToken) {
        const sas = o.sasToken.startsWith('?') ? o.sasToken.slice(1) : o.sasToken;
        service = new sdk.BlobServiceClient(`${o.url}?${sas}`);
      } else {
        service = new sdk.BlobServiceClient(o.url!, o.credential as StorageSharedKeyCredential | undefined);
      }
    } catch (error) {
      // The SDK's message can quote the connection string; ours does not.
      throw new DbrsError('CONFIG_INVALID', 'The Azure connection settings could not be parsed.', {
        hint: 'Check `azureConnectionString` (AccountName, AccountKey or SharedAccessSignature, BlobEndpoint) or `url`.',
        details: { reason: redactString((error as Error)?.name ?? 'error') },
      });
    }
    return service.getContainerClient(o.container);
  }

  private mapError(error: unknown, action: string, key: string | undefined, signal?: AbortSignal): Error {
    if (signal?.aborted) return abortError(signal, `Azure ${action}`);
    if (error instanceof DbrsError) return error;
    const status = statusOf(error);
    const code = codeOf(error);
    const where = key === undefined ? this.location : `${this.location}${key}`;
    // Not the RestError itself as `cause`: it carries the request URL, SAS signature included.
    const details = { azureError: code, httpStatus: status, key };
    if ((error as Error)?.name === 'AbortError') {
      // The caller's own abort was handled above: this one is the SDK giving up on a lost connection.
      return new DbrsError('STORAGE_FAILED', `Azure ${action} of ${where} was cut off (connection lost).`, {
        hint: 'Check that the storage endpoint is reachable, then retry.',
        details,
      });
    }
    if ((code && AUTH_CODES.has(code)) || status === 401 || status === 403) {
      return new DbrsError('STORAGE_AUTH_FAILED', `Azure refused to ${action} ${where}: ${code ?? status}.`, {
        hint: AUTH_HINT,
        details,
      });
    }
    if (code === 'ContainerNotFound') {
      return new DbrsError('STORAGE_FAILED', `Azure container of ${this.location} does not exist.`, {
        hint: 'Call ensure() (the backup manager does on initialize) or create the container.',
        details,
      });
    }
    if (status === 404 && key !== undefined) {
      return new DbrsError('NOT_FOUND', `No object "${key}" in ${this.location}.`, { details });
    }
    if (status === 416) return new DbrsError('INVALID_ARGUMENT', `The byte range is outside ${where}.`, { details });
    const message = redactString(((error as Error)?.message ?? String(error)).split('\n')[0] ?? '');
    return new DbrsError(
      'STORAGE_FAILED',
      `Azure ${action} of ${where} failed: ${code ?? status ?? 'error'}: ${message}`,
      {
        details,
      },
    );
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; details?: { errorCode?: unknown } } | undefined;
  if (typeof e?.details?.errorCode === 'string') return e.details.errorCode;
  return typeof e?.code === 'string' ? e.code : undefined;
}

/** The account name for `location`, never the key or SAS. */
function accountOf(options: AzureBlobStorageOptions): string {
  if (options.containerClient) return options.containerClient.accountName || 'account';
  if (options.connectionString) {
    const name = /(?:^|;)\s*AccountName=([^;]+)/i.exec(options.connectionString)?.[1];
    if (name) return name;
    const endpoint = /(?:^|;)\s*BlobEndpoint=([^;]+)/i.exec(options.connectionString)?.[1];
    if (endpoint) return hostOf(endpoint);
    return 'account';
  }
  return hostOf(options.url ?? '');
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    // Azurite and other emulators put the account in the path.
    const first = u.pathname.split('/').find(Boolean);
    return u.hostname.endsWith('.blob.core.windows.net')
      ? u.hostname.split('.')[0]!
      : first
        ? `${u.host}/${first}`
        : u.host;
  } catch {
    return 'account';
  }
}
