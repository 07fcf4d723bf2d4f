import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DbrsError, isDbrsError } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import { INCREMENTAL_MIN_MAJOR } from '../dump/incremental-gate.js';
import type { PgTool } from '../kinds.js';
import { assertToolVersion, toolVersion } from '../tools/pg-tools.js';
import { spawnTool } from '../tools/spawn.js';
import { extractPhysical } from '../verify/readable.js';
import { incrementalChain, resolveChain } from './chain.js';
import type { ObjectOpener } from './fetch.js';

/** How a physical backup becomes a data directory: its own tars, or its chain combined. */
export interface PhysicalLayout {
  /** The backups laid out, full backup first (one for a full backup). */
  chain: BackupManifest[];
  /** Reads every object of the chain to its end (SHA-256, key, decompression), writing nothing. */
  prove(signal?: AbortSignal): Promise<void>;
  /** Lays the data directory out in `dir` (absent or empty). */
  layOut(dir: string, signal?: AbortSignal): Promise<void>;
}

export interface PhysicalLayoutOptions {
  manifest: BackupManifest;
  find: (backupId: string) => Promise<BackupManifest>;
  /** Opens one backup's objects (each backup of a chain has its own folder and keys). */
  openerFor: (manifest: BackupManifest) => ObjectOpener;
  toolPath: (tool: PgTool) => string;
  /** Where the chain's backups are extracted before pg_combinebackup reads them. */
  tempDir: string;
  /** What was asked, for messages: 'restore', 'verify at level 2', … */
  action: string;
  /** Names the operation in an abort error. */
  operation: string;
  /** A full backup that would serve instead (said in a refusal's hint). */
  alternative?: string;
}

/**
 * A full backup lays out its own tars. An incremental one (PostgreSQL 17
 * pg_basebackup --incremental) holds only the blocks changed since its
 * parent, so its whole chain is extracted, full backup first, each into its
 * own directory (without the parents' WAL, which pg_combinebackup does not
 * read), and pg_combinebackup (17+) writes the synthetic full backup into the
 * target; its pg_wal comes from the newest backup. Everything that
 * can refuse — a parent gone, pg_combinebackup missing or too old — is
 * checked here, before anything is downloaded or written.
 */
export async function physicalLayout(o: PhysicalLayoutOptions): Promise<PhysicalLayout> {
  const chain = await resolveChain(o);
  // pg_combinebackup takes pg_wal from the newest backup only: the parents' WAL tars are never read.
  const needed = (m: BackupManifest) =>
    m === o.manifest ? m.objects : m.objects.filter((obj) => obj.role !== 'wal-tar');
  const prove = async (signal?: AbortSignal) => {
    for (const m of chain) for (const obj of needed(m)) await o.openerFor(m).drain(obj, signal);
  };
  if (chain.length === 1) {
    return {
      chain,
      prove,
      layOut: (dir, signal) => extractPhysical({ manifest: o.manifest, opener: o.openerFor(o.manifest), signal }, dir),
    };
  }
  const combine = await combineTool(o, chain);
  return {
    chain,
    prove,
    async layOut(dir, signal) {
      const work = await mkdtemp(join(o.tempDir, 'vhbk-chain-'));
      try {
        const inputs: string[] = [];
        for (const [i, m] of chain.entries()) {
          const input = join(work, String(i));
          await extractPhysical({ manifest: { ...m, objects: needed(m) }, opener: o.openerFor(m), signal }, input);
          inputs.push(input);
        }
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const tool = spawnTool('pg_combinebackup', combine, ['-o', dir, ...inputs], {
          env: process.env,
          stdout: 'ignore',
          signal,
          operation: o.operation,
        });
        await tool.exited.finally(() => tool.stop());
      } finally {
        await rm(work, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}

/** pg_combinebackup of 17 or newer (and not older than the backup's server), or the refusal saying so. */
async function combineTool(o: PhysicalLayoutOptions, chain: BackupManifest[]): Promise<string> {
  const backupMajor = Math.floor(o.manifest.server.versionNum / 10_000);
  const needed = Math.max(INCREMENTAL_MIN_MAJOR, backupMajor);
  try {
    const path = o.toolPath('pg_combinebackup');
    assertToolVersion(
      'pg_combinebackup',
      await toolVersion(path, 'pg_combinebackup'),
      needed,
      o.manifest.server.version,
    );
    return path;
  } catch (err) {
    if (!isDbrsError(err, 'TOOL_MISSING') && !isDbrsError(err, 'TOOL_VERSION_MISMATCH')) throw err;
    const named = await incrementalChain(o.manifest, o.find);
    const orFull = o.alternative
      ? ` Or use the full physical backup ${o.alternative} instead; it serves the same target.`
      : '';
    throw new DbrsError(
      err.code,
      `Backup ${o.manifest.backupId} is an incremental physical backup (chain, full backup first: ${named.join(' → ')}); ` +
        `to ${o.action} it, pg_combinebackup of PostgreSQL ${needed} or newer must combine the chain. ${err.message} Nothing was written.`,
      {
        cause: err,
        hint: `Install pg_combinebackup ${needed} or newer (Debian: postgresql-client-${needed}; for Debian 12 see the backup README), or set binDir / toolPaths.pg_combinebackup.${orFull}`,
        details: { ...err.details, backupId: o.manifest.backupId, chain: chain.map((m) => m.backupId) },
      },
    );
  }
}
