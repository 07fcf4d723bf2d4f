import { DbrsError } from '@voicehive/db-core';
import type { GfsPolicy } from '../kinds.js';

export interface RetentionPolicy {
  retentionDays?: number;
  keepLast?: number;
  gfs?: GfsPolicy;
  /** Incomplete folders older than this are removed, in ms. Default 24 h. */
  incompleteGraceMs?: number;
}

export interface RetentionCandidate {
  backupId: string;
  database: string;
  /** When the backup started. */
  startedAt: Date;
  storedBytes: number;
  /** Passed its latest verification. */
  verified: boolean;
  /** For an incremental backup: the backup it was taken against (restoring it needs that one, and its parent). */
  parentBackupId?: string;
}

export interface IncompleteCandidate {
  backupId: string;
  database: string;
  lastModified: Date;
  bytes: number;
}

export interface RetentionDecision {
  backupId: string;
  database: string;
  storedBytes: number;
  /** Why it is kept (empty when deleted). */
  keptBecause: string[];
}

export interface RetentionPlan {
  keep: RetentionDecision[];
  delete: RetentionDecision[];
  incomplete: IncompleteCandidate[];
}

const DAY = 86_400_000;

/** ISO week key (e.g. 2026-W48) in UTC. */
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / DAY + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Decides, per database, which backups retention keeps. A backup stays when
 * any rule keeps it: among the newest `keepLast`; younger than
 * `retentionDays`; the newest of one of the last N days/weeks/months (GFS);
 * the newest backup; the newest verified backup; the parent (and its
 * parents) of a kept incremental backup. With no rule configured nothing is
 * deleted. Pure: the same catalog and clock give the same plan.
 */
export function planRetention(
  backups: readonly RetentionCandidate[],
  incomplete: readonly IncompleteCandidate[],
  policy: RetentionPolicy,
  now: Date,
): RetentionPlan {
  const plan: RetentionPlan = { keep: [], delete: [], incomplete: [] };
  const grace = policy.incompleteGraceMs ?? DAY;
  plan.incomplete = incomplete.filter((i) => now.getTime() - i.lastModified.getTime() > grace);
  const anyRule =
    policy.retentionDays !== undefined ||
    policy.keepLast !== undefined ||
    !!(policy.gfs?.daily || policy.gfs?.weekly || policy.gfs?.monthly);

  const byDb = new Map<string, RetentionCandidate[]>();
  for (const b of backups) byDb.set(b.database, [...(byDb.get(b.database) ?? []), b]);
  for (const list of byDb.values()) {
    const sorted = [...list].sort(
      (a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.backupId < b.backupId ? 1 : -1),
    );
    const reasons = new Map<string, string[]>(sorted.map((b) => [b.backupId, []]));
    const add = (id: string, why: string) => reasons.get(id)!.push(why);
    if (sorted[0]) add(sorted[0].backupId, 'newest');
    const newestVerified = sorted.find((b) => b.verified);
    if (newestVerified) add(newestVerified.backupId, 'newest verified');
    if (!anyRule) for (const b of sorted) add(b.backupId, 'no retention rule configured');
    if (policy.keepLast !== undefined) {
      for (const [i, b] of sorted.slice(0, policy.keepLast).entries()) add(b.backupId, `keepLast (#${i + 1})`);
    }
    if (policy.retentionDays !== undefined) {
      const cutoff = now.getTime() - policy.retentionDays * DAY;
      for (const b of sorted)
        if (b.startedAt.getTime() >= cutoff) add(b.backupId, `within ${policy.retentionDays} days`);
    }
    const gfs: Array<[keyof GfsPolicy, (d: Date) => string]> = [
      ['daily', (d) => d.toISOString().slice(0, 10)],
      ['weekly', isoWeek],
      ['monthly', (d) => d.toISOString().slice(0, 7)],
    ];
    for (const [tier, bucketOf] of gfs) {
      const count = policy.gfs?.[tier] ?? 0;
      if (count <= 0) continue;
      const seen = new Set<string>();
      for (const b of sorted) {
        const bucket = bucketOf(b.startedAt);
        if (seen.has(bucket)) continue;
        if (seen.size >= count) break;
        seen.add(bucket);
        add(b.backupId, `${tier} ${bucket}`);
      }
    }
    keepChains(sorted, reasons);
    for (const b of sorted) {
      const why = reasons.get(b.backupId)!;
      const decision = { backupId: b.backupId, database: b.database, storedBytes: b.storedBytes, keptBecause: why };
      (why.length ? plan.keep : plan.delete).push(decision);
    }
  }
  return plan;
}

export function assertPolicy(policy: RetentionPolicy): void {
  const check = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && (!Number.isFinite(v) || v < min || (name !== 'retentionDays' && !Number.isInteger(v)))) {
      throw new DbrsError(
        'CONFIG_INVALID',
        `${name} must be a ${name === 'retentionDays' ? 'number' : 'whole number'} >= ${min}, got ${v}.`,
        {
          details: { key: name },
        },
      );
    }
  };
  check('retentionDays', policy.retentionDays, 0);
  check('keepLast', policy.keepLast, 0);
  check('gfs.daily', policy.gfs?.daily, 0);
  check('gfs.weekly', policy.gfs?.weekly, 0);
  check('gfs.monthly', policy.gfs?.monthly, 0);
  check('incompleteGraceMs', policy.incompleteGraceMs, 0);
}

/**
 * An incremental backup restores only together with every backup below it
 * (pg_combinebackup takes the whole chain), so each backup a rule keeps
 * keeps its parent, and that one its own: retention never breaks a chain.
 * A parent missing from the catalog cannot be kept (that incremental is
 * already unrestorable); the visited set stops at a malformed cycle.
 */
function keepChains(sorted: readonly RetentionCandidate[], reasons: Map<string, string[]>): void {
  const parentOf = new Map(sorted.map((b) => [b.backupId, b.parentBackupId]));
  const keptByRule = sorted.filter((b) => reasons.get(b.backupId)!.length > 0);
  for (const b of keptByRule) {
    const seen = new Set([b.backupId]);
    for (let child = b.backupId, parent = parentOf.get(child); parent && !seen.has(parent); ) {
      seen.add(parent);
      const why = reasons.get(parent);
      if (!why) break;
      if (!why.includes(`parent of incremental ${child}`)) why.push(`parent of incremental ${child}`);
      child = parent;
      parent = parentOf.get(child);
    }
  }
}
