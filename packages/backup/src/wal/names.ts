import { DbrsError } from '@voicehive/db-core';

/**
 * WAL file names as PostgreSQL writes them into pg_wal (access/xlog_internal.h):
 * a segment is TTTTTTTTXXXXXXXXYYYYYYYY (timeline, then the segment number
 * split at 4 GiB of LSN), plus timeline history files, backup history files
 * and the `.partial` segment a promotion leaves behind.
 */
export type WalFileKind = 'segment' | 'history' | 'backup' | 'partial';

export interface WalFileName {
  name: string;
  kind: WalFileKind;
  timeline: number;
  /** Segments (and .backup/.partial files): the 16 hex digits after the timeline. */
  log?: number;
  seg?: number;
}

const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const HISTORY = /^([0-9A-F]{8})\.history$/;
const BACKUP = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\.[0-9A-F]{8}\.backup$/;
const PARTIAL = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\.partial$/;

/** Default segment size (initdb --wal-segsize); the real size travels with every archived segment. */
export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export function parseWalName(name: string): WalFileName | undefined {
  if (typeof name !== 'string') return undefined;
  let m = SEGMENT.exec(name);
  if (m) return { name, kind: 'segment', timeline: hex(m[1]!), log: hex(m[2]!), seg: hex(m[3]!) };
  m = HISTORY.exec(name);
  if (m) return { name, kind: 'history', timeline: hex(m[1]!) };
  m = BACKUP.exec(name);
  if (m) return { name, kind: 'backup', timeline: hex(m[1]!), log: hex(m[2]!), seg: hex(m[3]!) };
  m = PARTIAL.exec(name);
  if (m) return { name, kind: 'partial', timeline: hex(m[1]!), log: hex(m[2]!), seg: hex(m[3]!) };
  return undefined;
}

/** Throws DbrsError('INVALID_ARGUMENT') unless `name` is a WAL file name PostgreSQL would archive. */
export function assertWalName(name: string): WalFileName {
  const parsed = parseWalName(name);
  if (!parsed || parsed.timeline === 0) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(String(name).slice(0, 80))} is not a WAL file name (24 upper-case hex digits such as 000000010000000000000001, or a .history/.backup/.partial file).`,
      {
        hint: "archive_command passes %p (a path whose last part is the WAL file name) and restore_command passes %f: use 'dbrs wal push %p' and 'dbrs wal fetch %f %p'.",
        details: { name: String(name).slice(0, 80) },
      },
    );
  }
  return parsed;
}

function hex(s: string): number {
  return Number.parseInt(s, 16);
}

function h8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function segmentsPerLog(segmentBytes: number): number {
  return 0x1_0000_0000 / segmentBytes;
}

/** The absolute segment number of a segment name (log * segments-per-4GiB + seg). */
export function segmentNumber(file: WalFileName, segmentBytes = DEFAULT_SEGMENT_BYTES): bigint {
  if (file.log === undefined || file.seg === undefined) {
    throw new DbrsError('INVALID_ARGUMENT', `${file.name} is not a WAL segment.`);
  }
  return BigInt(file.log) * BigInt(segmentsPerLog(segmentBytes)) + BigInt(file.seg);
}

export function segmentName(timeline: number, segno: bigint, segmentBytes = DEFAULT_SEGMENT_BYTES): string {
  const per = BigInt(segmentsPerLog(segmentBytes));
  return `${h8(timeline)}${h8(Number(segno / per))}${h8(Number(segno % per))}`;
}

/** The `count` segment names after `name` on the same timeline (what recovery asks for next). */
export function nextSegmentNames(name: string, count: number, segmentBytes = DEFAULT_SEGMENT_BYTES): string[] {
  const file = parseWalName(name);
  if (file?.kind !== 'segment') return [];
  const n = segmentNumber(file, segmentBytes);
  return Array.from({ length: count }, (_, i) => segmentName(file.timeline, n + BigInt(i + 1), segmentBytes));
}

/** '0/3000060' → 50331744n. Throws INVALID_ARGUMENT for anything else. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(typeof lsn === 'string' ? lsn.trim() : '');
  if (!m) {
    throw new DbrsError('INVALID_ARGUMENT', `${JSON.stringify(String(lsn).slice(0, 40))} is not an LSN.`, {
      hint: 'An LSN looks like 0/3000060 (SELECT pg_current_wal_lsn()).',
    });
  }
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The segment number holding `lsn`. */
export function lsnSegment(lsn: bigint, segmentBytes = DEFAULT_SEGMENT_BYTES): bigint {
  return lsn / BigInt(segmentBytes);
}
