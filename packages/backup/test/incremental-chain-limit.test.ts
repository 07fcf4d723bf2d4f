import { DbrsError } from '@voicehive/db-core';
import { describe, expect, it } from 'vitest';
import { type BackupManifest, MANIFEST_FORMAT } from '../src/catalog/manifest.js';
import { resolveSettings } from '../src/config.js';
import { decideParent } from '../src/dump/incremental-gate.js';
import { MAX_CHAIN, resolveChain } from '../src/restore/chain.js';
import { BackupType } from '../src/types.js';

/*
 * The chain bookkeeping on hand-made manifests (no server needed to count
 * links); incremental.test.ts takes the backups on the embedded PostgreSQL 17
 * with incrementalMaxChain 2 and sees the third incremental request become full.
 */

const SERVER = { systemIdentifier: '7400000000000000001', major: 17 };

/** A completed physical backup of SERVER, `minute` minutes after a fixed start, with `parent` when incremental. */
function backup(id: string, minute: number, parent?: string): BackupManifest {
  const at = new Date(Date.UTC(2026, 11, 1, 0, minute)).toISOString();
  return {
    formatVersion: MANIFEST_FORMAT,
    backupId: id,
    type: BackupType.PHYSICAL,
    database: 'hotel',
    status: 'completed',
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    server: { version: '17.10', versionNum: 170_010, systemIdentifier: SERVER.systemIdentifier },
    tool: { name: 'pg_basebackup', version: 'pg_basebackup (PostgreSQL) 17.12' },
    format: 'tar',
    options: {},
    ...(parent ? { incremental: { parentBackupId: parent } } : {}),
    compression: 'none',
    encryption: null,
    sizes: { rawBytes: 1, storedBytes: 1 },
    objects: [
      {
        name: 'backup_manifest',
        path: 'backup_manifest',
        role: 'backup-manifest',
        rawBytes: 1,
        storedBytes: 1,
        sha256: '0',
      },
    ],
  } as BackupManifest;
}

/** full, then `n` incrementals each on the one before: ids f, i1 … in. */
function chain(n: number): BackupManifest[] {
  const out = [backup('f', 0)];
  for (let i = 1; i <= n; i++) out.push(backup(`i${i}`, i, i === 1 ? 'f' : `i${i - 1}`));
  return out;
}

describe('decideParent: when an incremental request takes a full backup', () => {
  it('below the limit the newest backup is the parent; at the limit a full backup starts a new chain', () => {
    expect(decideParent(chain(0), SERVER, 2).parent?.backupId).toBe('f');
    expect(decideParent(chain(1), SERVER, 2).parent?.backupId).toBe('i1');
    const atLimit = decideParent(chain(2), SERVER, 2);
    expect(atLimit.parent).toBeUndefined();
    expect(atLimit).toMatchObject({ fullBecause: 'chain-limit' });
    expect(atLimit.message).toContain('chain of 2 incremental backups (incrementalMaxChain = 2)');
    // A chain grown before the limit existed (longer than it) also ends here.
    expect(decideParent(chain(70), SERVER, 7)).toMatchObject({ fullBecause: 'chain-limit' });
    // After that full backup the next request builds on it.
    expect(decideParent([...chain(2), backup('f2', 10)], SERVER, 2).parent?.backupId).toBe('f2');
  });

  it('no physical backup of this cluster: full, as before', () => {
    expect(decideParent([], SERVER, 7)).toMatchObject({ fullBecause: 'no-parent' });
    expect(decideParent(chain(1), { ...SERVER, systemIdentifier: '1' }, 7)).toMatchObject({ fullBecause: 'no-parent' });
  });

  it('a link of the newest backup’s chain gone (deleted by hand): full, naming the missing link', () => {
    const broken = chain(3).filter((b) => b.backupId !== 'i1');
    const d = decideParent(broken, SERVER, 7);
    expect(d.parent).toBeUndefined();
    expect(d).toMatchObject({ fullBecause: 'chain-broken' });
    expect(d.message).toContain('i3');
    expect(d.message).toContain('i1 is missing');
    // The full backup itself gone: broken too.
    expect(decideParent(chain(1).slice(1), SERVER, 7)).toMatchObject({ fullBecause: 'chain-broken' });
  });

  it('a cycle of hand-edited manifests ends at the limit instead of looping', () => {
    const a = backup('a', 1, 'b');
    const b = backup('b', 2, 'a');
    expect(decideParent([a, b], SERVER, 3)).toMatchObject({ fullBecause: 'chain-limit' });
  });
});

describe('resolveChain at its bound', () => {
  const find = (all: BackupManifest[]) => async (id: string) => {
    const m = all.find((b) => b.backupId === id);
    if (!m) throw new DbrsError('NOT_FOUND', `no ${id}`);
    return m;
  };

  it(`a chain of exactly ${MAX_CHAIN} backups resolves; one longer says "too long" and to take a full backup, not "broken"`, async () => {
    const ok = chain(MAX_CHAIN - 1);
    const resolved = await resolveChain({ manifest: ok.at(-1)!, find: find(ok), action: 'restore' });
    expect(resolved).toHaveLength(MAX_CHAIN);
    expect(resolved[0]!.backupId).toBe('f');

    const long = chain(MAX_CHAIN);
    const err = (await resolveChain({ manifest: long.at(-1)!, find: find(long), action: 'restore' }).catch(
      (e: unknown) => e,
    )) as DbrsError;
    expect(err).toBeInstanceOf(DbrsError);
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain(`longer than ${MAX_CHAIN} backups`);
    expect(err.message).toContain('none missing');
    expect(err.message).not.toContain('broken');
    expect(err.hint).toContain('Take a full physical backup');
    expect(err.hint).toContain('incrementalMaxChain');

    // A link really missing is still "broken" (NOT_FOUND).
    const gap = chain(3).filter((b) => b.backupId !== 'i1');
    await expect(resolveChain({ manifest: gap.at(-1)!, find: find(gap), action: 'restore' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('broken'),
    });
  });
});

describe('incrementalMaxChain setting', () => {
  it('defaults to 7 and takes 1–63; anything else is CONFIG_INVALID naming the range', () => {
    expect(resolveSettings({}).incrementalMaxChain).toBe(7);
    expect(resolveSettings({ incrementalMaxChain: 1 }).incrementalMaxChain).toBe(1);
    expect(resolveSettings({ incrementalMaxChain: MAX_CHAIN - 1 }).incrementalMaxChain).toBe(MAX_CHAIN - 1);
    for (const bad of [0, MAX_CHAIN, 2.5]) {
      expect(() => resolveSettings({ incrementalMaxChain: bad })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', hint: expect.stringContaining('1 to 63') }),
      );
    }
  });
});
