import { DbrsError } from '@voicehive/db-core';
import { formatLsn, parseLsn } from './names.js';

/** Where recovery stops: PostgreSQL's recovery_target_* (one of them), or 'immediate' (the backup's end). */
export type RecoveryTarget =
  | { time: Date | string }
  | { lsn: string }
  | { xid: string | number }
  | { name: string }
  | 'immediate';

export type ResolvedTarget =
  | { kind: 'time'; time: Date }
  | { kind: 'lsn'; lsn: bigint }
  | { kind: 'xid'; xid: bigint }
  | { kind: 'name'; name: string }
  | { kind: 'immediate' };

/** Restore point names are at most 63 bytes (MAXFNAMELEN - 1). */
export const MAX_RESTORE_POINT_NAME = 63;

export function resolveTarget(target: RecoveryTarget): ResolvedTarget {
  if (target === 'immediate') return { kind: 'immediate' };
  const keys =
    target && typeof target === 'object' ? Object.keys(target).filter((k) => (target as never)[k] !== undefined) : [];
  if (keys.length !== 1) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      'recoveryTarget needs exactly one of time, lsn, xid or name (or "immediate").',
      {
        hint: "For example { time: '2026-12-01T14:04:00Z' } or { name: 'before-migration-42' }.",
      },
    );
  }
  const t = target as Record<string, unknown>;
  if ('time' in t && t['time'] !== undefined) {
    const time = t['time'] instanceof Date ? t['time'] : new Date(String(t['time']));
    if (Number.isNaN(time.getTime())) {
      throw new DbrsError(
        'INVALID_ARGUMENT',
        `Recovery target time ${JSON.stringify(String(t['time']).slice(0, 60))} is not a date.`,
        {
          hint: 'Use an ISO 8601 time with its zone, e.g. 2026-12-01T14:04:00Z or 2026-12-01 15:04:00+01.',
        },
      );
    }
    return { kind: 'time', time };
  }
  if ('lsn' in t) return { kind: 'lsn', lsn: parseLsn(String(t['lsn'])) };
  if ('xid' in t) {
    const s = String(t['xid']);
    if (!/^[1-9][0-9]{0,19}$/.test(s)) {
      throw new DbrsError(
        'INVALID_ARGUMENT',
        `Recovery target xid ${JSON.stringify(s.slice(0, 30))} is not a transaction id.`,
        {
          hint: 'Use the number txid_current() / pg_current_xact_id() returned.',
        },
      );
    }
    return { kind: 'xid', xid: BigInt(s) };
  }
  if ('name' in t) return { kind: 'name', name: assertRestorePointName(t['name']) };
  throw new DbrsError('INVALID_ARGUMENT', `Unknown recovery target key "${keys[0]}".`, {
    hint: 'Use time, lsn, xid or name.',
  });
}

export function assertRestorePointName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > MAX_RESTORE_POINT_NAME) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `Restore point name ${JSON.stringify(String(name).slice(0, 80))} must be 1-63 bytes.`,
      {
        hint: 'Use a short label such as before-migration-42.',
      },
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\x00-\x1f\x7f']/.test(name)) {
    throw new DbrsError('INVALID_ARGUMENT', 'A restore point name must not contain control characters or quotes.');
  }
  return name;
}

export function describeTarget(t: ResolvedTarget): string {
  switch (t.kind) {
    case 'time':
      return `time ${t.time.toISOString()}`;
    case 'lsn':
      return `LSN ${formatLsn(t.lsn)}`;
    case 'xid':
      return `xid ${t.xid}`;
    case 'name':
      return `restore point "${t.name}"`;
    default:
      return 'the end of the base backup (immediate)';
  }
}

/** The recovery_target_* lines for postgresql.auto.conf. */
export function targetSettings(t: ResolvedTarget, inclusive: boolean): Record<string, string> {
  const common = { recovery_target_inclusive: inclusive ? 'on' : 'off' };
  switch (t.kind) {
    case 'time':
      // PostgreSQL's recovery_target_time parser refuses the ISO 'T…Z' form: 'YYYY-MM-DD HH:MM:SS.mmm+00'.
      return { recovery_target_time: t.time.toISOString().replace('T', ' ').replace('Z', '+00'), ...common };
    case 'lsn':
      return { recovery_target_lsn: formatLsn(t.lsn), ...common };
    case 'xid':
      return { recovery_target_xid: t.xid.toString(), ...common };
    case 'name':
      return { recovery_target_name: t.name };
    default:
      return { recovery_target: 'immediate' };
  }
}
