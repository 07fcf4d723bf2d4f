import { text } from 'node:stream/consumers';
import { DbrsError, errorMessage, isDbrsError } from '@voicehive/db-core';
import type { BackupStorage, ObjectInfo } from '../storage/types.js';
import { isBackupId } from './backup-id.js';
import { type BackupManifest, MANIFEST_NAME, parseManifest } from './manifest.js';

/** A backup folder whose manifest was never written: a failed or running upload. */
export interface IncompleteBackup {
  database: string;
  backupId: string;
  keys: string[];
  bytes: number;
  lastModified: Date;
}

export interface CatalogScan {
  backups: BackupManifest[];
  incomplete: IncompleteBackup[];
  /** Manifests that could not be read, with why. */
  unreadable: Array<{ key: string; error: string }>;
}

/** Storage key segment for a database name (names may hold any character). */
export function databaseSegment(database: string): string {
  return encodeURIComponent(database);
}

export function backupFolder(database: string, backupId: string): string {
  return `${databaseSegment(database)}/${backupId}/`;
}

/**
 * The catalog is the set of manifests in storage: nothing is kept in the
 * database, so it survives losing the database. A folder is a backup only
 * once manifest.json exists, and manifest.json is always written last.
 */
export class Catalog {
  readonly storage: BackupStorage;

  constructor(storage: BackupStorage) {
    this.storage = storage;
  }

  key(database: string, backupId: string, name: string): string {
    return `${backupFolder(database, backupId)}${name}`;
  }

  async writeManifest(manifest: BackupManifest, signal?: AbortSignal): Promise<void> {
    const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await this.storage.put(this.key(manifest.database, manifest.backupId, MANIFEST_NAME), body, {
      contentType: 'application/json',
      signal,
      metadata: { backup_id: manifest.backupId, status: manifest.status },
    });
  }

  async readManifestAt(key: string, signal?: AbortSignal): Promise<BackupManifest> {
    const stream = await this.storage.get(key, { signal });
    return parseManifest(await text(stream), key);
  }

  async scan(options: { database?: string; signal?: AbortSignal } = {}): Promise<CatalogScan> {
    const prefix = options.database ? `${databaseSegment(options.database)}/` : '';
    const folders = new Map<string, { database: string; backupId: string; objects: ObjectInfo[]; manifest?: string }>();
    for await (const info of this.storage.list(prefix, { signal: options.signal })) {
      const parts = info.key.split('/');
      if (parts.length < 3 || !isBackupId(parts[1]!)) continue;
      const database = safeDecode(parts[0]!);
      const folderKey = `${parts[0]}/${parts[1]}`;
      let folder = folders.get(folderKey);
      if (!folder) {
        folder = { database, backupId: parts[1]!, objects: [] };
        folders.set(folderKey, folder);
      }
      folder.objects.push(info);
      if (parts.length === 3 && parts[2] === MANIFEST_NAME) folder.manifest = info.key;
    }
    const result: CatalogScan = { backups: [], incomplete: [], unreadable: [] };
    for (const folder of folders.values()) {
      if (!folder.manifest) {
        result.incomplete.push({
          database: folder.database,
          backupId: folder.backupId,
          keys: folder.objects.map((o) => o.key),
          bytes: folder.objects.reduce((n, o) => n + o.size, 0),
          lastModified: new Date(Math.max(...folder.objects.map((o) => o.lastModified.getTime()))),
        });
        continue;
      }
      try {
        result.backups.push(await this.readManifestAt(folder.manifest, options.signal));
      } catch (err) {
        if (isDbrsError(err, 'ABORTED')) throw err;
        result.unreadable.push({ key: folder.manifest, error: errorMessage(err) });
      }
    }
    result.backups.sort((a, b) => (a.backupId < b.backupId ? 1 : a.backupId > b.backupId ? -1 : 0));
    return result;
  }

  /** Finds a backup's manifest by id alone (ids are unique across databases). */
  async find(backupId: string, options: { database?: string; signal?: AbortSignal } = {}): Promise<BackupManifest> {
    if (options.database) {
      const key = this.key(options.database, backupId, MANIFEST_NAME);
      if (await this.storage.head(key, { signal: options.signal })) return this.readManifestAt(key, options.signal);
    } else {
      for await (const info of this.storage.list('', { signal: options.signal })) {
        if (info.key.endsWith(`/${backupId}/${MANIFEST_NAME}`)) return this.readManifestAt(info.key, options.signal);
      }
    }
    throw new DbrsError('NOT_FOUND', `No completed backup with id ${backupId} in ${this.storage.location}.`, {
      hint: 'Use listBackups() to see the completed backups; an upload without manifest is not a backup.',
      details: { backupId },
    });
  }

  /** Removes every object of a backup folder; the manifest goes first so a half-deleted backup is never listed. */
  async deleteFolder(database: string, backupId: string, signal?: AbortSignal): Promise<number> {
    const keys: string[] = [];
    let bytes = 0;
    for await (const info of this.storage.list(backupFolder(database, backupId), { signal })) {
      keys.push(info.key);
      bytes += info.size;
    }
    const manifestKey = this.key(database, backupId, MANIFEST_NAME);
    if (keys.includes(manifestKey)) await this.storage.delete(manifestKey, { signal });
    const rest = keys.filter((k) => k !== manifestKey);
    if (rest.length) await this.storage.deleteMany(rest, { signal });
    return bytes;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
