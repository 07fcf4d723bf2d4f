import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@voicehive/db-core';
import { type ProcessIdentity, processIdentity, stillRunning } from '../tools/process-identity.js';

const OWNER = 'owner.json';
/** The prefix of a physical backup's temp dir (pg_basebackup writes into it). */
export const BASE_DIR_PREFIX = 'vhbk-base-';

interface OwnerRecord {
  /** The process that made the dir. */
  owner: ProcessIdentity;
  /** pg_basebackup, leader of its own process group (spawnTool processGroup). */
  group?: ProcessIdentity;
}

/**
 * Records in the temp dir who made it and, once started, pg_basebackup's
 * process group. pg_basebackup runs in its own group, out of reach of our
 * exit handlers when this process is SIGKILLed: it then keeps a replication
 * connection and fills the temp dir for nobody. The next physical backup
 * reads this record to end it (sweepOrphanedBaseDirs).
 */
export async function recordOwner(dir: string, groupLeader?: number): Promise<void> {
  const record: OwnerRecord = {
    owner: await processIdentity(process.pid),
    ...(groupLeader ? { group: await processIdentity(groupLeader) } : {}),
  };
  await writeFile(join(dir, OWNER), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/**
 * Before a physical backup: every `vhbk-base-*` dir in the temp dir whose
 * owner is no longer running (killed with SIGKILL, so nothing cleaned up)
 * has its pg_basebackup group killed, if that is still the recorded process,
 * and is removed. A dir whose owner runs (another backup of this or another
 * process) or that has no readable record is left alone.
 */
export async function sweepOrphanedBaseDirs(tempDir: string, logger: Logger): Promise<void> {
  const names = await readdir(tempDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(BASE_DIR_PREFIX))) {
    const dir = join(tempDir, name);
    const record = await readOwner(dir);
    if (!record || (await stillRunning(record.owner))) continue;
    const killed = record.group && (await stillRunning(record.group)) ? killGroup(record.group.pid) : false;
    await rm(dir, { recursive: true, force: true });
    logger.warn(
      { event: 'backup_orphan_removed', dir, ownerPid: record.owner.pid, toolKilled: killed },
      'removed the temp dir of a physical backup whose process had died (and ended its pg_basebackup)',
    );
  }
}

async function readOwner(dir: string): Promise<OwnerRecord | undefined> {
  const text = await readFile(join(dir, OWNER), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as OwnerRecord;
    return Number.isInteger(r.owner?.pid) ? r : undefined;
  } catch {
    return undefined;
  }
}

function killGroup(leader: number): boolean {
  try {
    process.kill(-leader, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
