import type { ArchivedWal } from './archive.js';
import { DEFAULT_SEGMENT_BYTES, parseLsn, parseWalName, segmentName, segmentNumber } from './names.js';

/** One line of a timeline history file: `parent` ended (switched away) at `endLsn`. */
export interface HistoryEntry {
  timeline: number;
  endLsn: bigint;
}

/** `<parentTLI>\t<switchpoint>\t<reason>` lines (access/transam/timeline.c); comments and blanks skipped. */
export function parseHistory(text: string): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+([0-9A-Fa-f]+\/[0-9A-Fa-f]+)/.exec(line);
    if (m) out.push({ timeline: Number(m[1]), endLsn: parseLsn(m[2]!) });
  }
  return out;
}

export interface WalGap {
  timeline: number;
  /** First and last missing segment names (inclusive). */
  from: string;
  to: string;
  missing: number;
}

export interface ContinuityResult {
  /** The timeline recovery with recovery_target_timeline=latest ends on. */
  timeline: number;
  /** The last segment reachable without a gap (undefined: not even the first). */
  lastContiguous?: ArchivedWal;
  /** Newest archived segment on the path. */
  newest?: ArchivedWal;
  gaps: WalGap[];
}

/**
 * Walks the archived segments from `startSegment` (on `startTimeline`) to
 * the newest segment of the latest timeline descended from it, following
 * the timeline history files like recovery_target_timeline='latest' does.
 * Every segment number in between must be archived on the timeline that
 * owns it at that position (or a later one of the path, which holds the
 * copy made at the switch); each run of missing numbers is a gap.
 */
export function checkContinuity(options: {
  wal: ArchivedWal[];
  histories: Map<number, HistoryEntry[]>;
  startTimeline: number;
  startSegment: bigint;
  segmentBytes?: number;
}): ContinuityResult {
  const segBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const latest = latestDescendant(options.startTimeline, options.histories);
  const history = latest === options.startTimeline ? [] : (options.histories.get(latest) ?? []);
  // Timeline owning segment n: the first history entry ending after the segment starts, else the latest.
  const owner = (segno: bigint) => {
    const start = segno * BigInt(segBytes);
    for (const h of history) if (h.timeline >= options.startTimeline && start < h.endLsn) return h.timeline;
    return latest;
  };
  const path = new Set([options.startTimeline, latest, ...history.map((h) => h.timeline)]);
  const bySeg = new Map<bigint, ArchivedWal[]>();
  for (const w of options.wal) {
    if (w.kind !== 'segment' || !path.has(w.timeline)) continue;
    const n = segmentNumber(parseWalName(w.name)!, w.segmentBytes ?? segBytes);
    const list = bySeg.get(n) ?? [];
    list.push(w);
    bySeg.set(n, list);
  }
  let maxSeg = -1n;
  for (const n of bySeg.keys()) if (n > maxSeg) maxSeg = n;
  const result: ContinuityResult = { timeline: latest, gaps: [] };
  let gapStart: bigint | undefined;
  for (let n = options.startSegment; n <= maxSeg; n++) {
    const tl = owner(n);
    const found = (bySeg.get(n) ?? []).filter((w) => w.timeline >= tl).sort((a, b) => a.timeline - b.timeline)[0];
    if (found) {
      if (gapStart !== undefined) {
        result.gaps.push(gap(owner(gapStart), gapStart, n - 1n, segBytes));
        gapStart = undefined;
      } else if (result.gaps.length === 0) result.lastContiguous = found;
      result.newest = found;
    } else gapStart ??= n;
  }
  return result;
}

function gap(timeline: number, from: bigint, to: bigint, segBytes: number): WalGap {
  return {
    timeline,
    from: segmentName(timeline, from, segBytes),
    to: segmentName(timeline, to, segBytes),
    missing: Number(to - from + 1n),
  };
}

/** The highest timeline whose history passes through `timeline` (or it, when none does). */
export function latestDescendant(timeline: number, histories: Map<number, HistoryEntry[]>): number {
  let best = timeline;
  for (const [tl, entries] of histories) {
    if (tl > best && entries.some((e) => e.timeline === timeline)) best = tl;
  }
  return best;
}
