import { DbrsError } from '@voicehive/db-core';
import { AzureBlobStorage, type AzureBlobStorageOptions } from './azure.js';
import { GcsStorage, type GcsStorageOptions } from './gcs.js';
import { LocalStorage } from './local.js';
import { S3Storage, type S3StorageOptions } from './s3.js';
import type { BackupStorage } from './types.js';

/**
 * The storage part of DatabaseBackupManagerOptions: flat keys, as in the original system, so
 * they map one to one onto environment variables (BACKUP_S3_BUCKET, ...).
 */
export interface StorageConfig {
  /** Which backend (BACKUP_STORAGE_TYPE). Case-insensitive; StorageType enum values are accepted. Default 'local'. */
  storageType?: 'local' | 's3' | 'azure' | 'gcs' | (string & {});
  /** local: the backup directory (BACKUP_LOCAL_PATH). Required for local. */
  localPath?: string;
  /** s3: bucket (BACKUP_S3_BUCKET). Required for s3. */
  s3Bucket?: string;
  /** s3: region (BACKUP_S3_REGION). Default 'us-east-1', following region redirects. */
  s3Region?: string;
  /** s3: endpoint of an S3-compatible store (BACKUP_S3_ENDPOINT). Default: AWS. */
  s3Endpoint?: string;
  /** s3: folder inside the bucket (BACKUP_S3_PREFIX). Default ''. */
  s3Prefix?: string;
  /** s3: path-style addressing (BACKUP_S3_FORCE_PATH_STYLE). Default: true with an endpoint. */
  s3ForcePathStyle?: boolean;
  /** s3: static access key id (BACKUP_S3_ACCESS_KEY_ID); with s3SecretAccessKey. Default: the SDK's provider chain. */
  s3AccessKeyId?: string;
  /** s3: static secret (BACKUP_S3_SECRET_ACCESS_KEY); with s3AccessKeyId. */
  s3SecretAccessKey?: string;
  /** azure: container (BACKUP_AZURE_CONTAINER). Required for azure. */
  azureContainer?: string;
  /** azure: connection string (BACKUP_AZURE_CONNECTION_STRING). Required for azure unless `azure.url` is given. */
  azureConnectionString?: string;
  /** azure: folder inside the container (BACKUP_AZURE_PREFIX). Default ''. */
  azurePrefix?: string;
  /** gcs: bucket (BACKUP_GCS_BUCKET). Required for gcs. */
  gcsBucket?: string;
  /** gcs: folder inside the bucket (BACKUP_GCS_PREFIX). Default ''. */
  gcsPrefix?: string;
  /** gcs: project (BACKUP_GCS_PROJECT_ID). Default: from the credentials. */
  gcsProjectId?: string;
  /** gcs: API endpoint for emulators (BACKUP_GCS_API_ENDPOINT). Default: Google. */
  gcsApiEndpoint?: string;
  /** gcs: service-account key file (BACKUP_GCS_KEY_FILENAME). Default: Application Default Credentials. */
  gcsKeyFilename?: string;
}

/** Options the flat config cannot express (credential objects, injected clients, SSE, Object Lock). */
export interface CreateStorageOverrides {
  s3?: Partial<S3StorageOptions>;
  azure?: Partial<AzureBlobStorageOptions>;
  gcs?: Partial<GcsStorageOptions>;
}

function required(value: string | undefined, key: string, env: string, type: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new DbrsError('CONFIG_INVALID', `storageType "${type}" needs \`${key}\`, which is not set.`, {
    hint: `Set \`${key}\` in the backup config or the ${env} environment variable.`,
    details: { key, env },
  });
}

/** Builds the storage adapter a DatabaseBackupManagerOptions describes. Nothing is contacted until the first call. */
export function createStorage(config: StorageConfig, overrides: CreateStorageOverrides = {}): BackupStorage {
  const type = String(config?.storageType ?? 'local').toLowerCase();
  switch (type) {
    case 'local':
      return new LocalStorage({ path: required(config.localPath, 'localPath', 'BACKUP_LOCAL_PATH', type) });
    case 's3': {
      if (Boolean(config.s3AccessKeyId) !== Boolean(config.s3SecretAccessKey)) {
        const missing = config.s3AccessKeyId ? 's3SecretAccessKey' : 's3AccessKeyId';
        throw new DbrsError(
          'CONFIG_INVALID',
          `s3AccessKeyId and s3SecretAccessKey go together; \`${missing}\` is not set.`,
          {
            hint: 'Set both (BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY), or neither to use the AWS provider chain (env, profile, role).',
            details: { key: missing },
          },
        );
      }
      return new S3Storage({
        bucket: overrides.s3?.bucket ?? required(config.s3Bucket, 's3Bucket', 'BACKUP_S3_BUCKET', type),
        ...(config.s3Region ? { region: config.s3Region } : {}),
        ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
        ...(config.s3Prefix ? { prefix: config.s3Prefix } : {}),
        ...(config.s3ForcePathStyle === undefined ? {} : { forcePathStyle: config.s3ForcePathStyle }),
        ...(config.s3AccessKeyId && config.s3SecretAccessKey
          ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } }
          : {}),
        ...overrides.s3,
      });
    }
    case 'azure': {
      const viaUrl = overrides.azure?.url !== undefined || overrides.azure?.containerClient !== undefined;
      return new AzureBlobStorage({
        container:
          overrides.azure?.container ??
          required(config.azureContainer, 'azureContainer', 'BACKUP_AZURE_CONTAINER', type),
        ...(viaUrl
          ? {}
          : {
              connectionString: required(
                config.azureConnectionString,
                'azureConnectionString',
                'BACKUP_AZURE_CONNECTION_STRING',
                type,
              ),
            }),
        ...(config.azurePrefix ? { prefix: config.azurePrefix } : {}),
        ...overrides.azure,
      });
    }
    case 'gcs':
      return new GcsStorage({
        bucket: overrides.gcs?.bucket ?? required(config.gcsBucket, 'gcsBucket', 'BACKUP_GCS_BUCKET', type),
        ...(config.gcsPrefix ? { prefix: config.gcsPrefix } : {}),
        ...(config.gcsProjectId ? { projectId: config.gcsProjectId } : {}),
        ...(config.gcsApiEndpoint ? { apiEndpoint: config.gcsApiEndpoint } : {}),
        ...(config.gcsKeyFilename ? { keyFilename: config.gcsKeyFilename } : {}),
        ...overrides.gcs,
      });
    default:
      throw new DbrsError('CONFIG_INVALID', `Unknown storageType ${JSON.stringify(config?.storageType)}.`, {
        hint: 'Use one of "local", "s3", "azure" or "gcs" (BACKUP_STORAGE_TYPE).',
        details: { key: 'storageType', env: 'BACKUP_STORAGE_TYPE' },
      });
  }
}
