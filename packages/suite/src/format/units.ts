/**
 * One way of writing quantities for people, shared by the page, the status
 * issues and the CLI, so "642.23 s" in a table is "642.23 s" in the issue
 * that points at it. Bytes use one unit family (binary, KiB/MiB written as
 * kB/MB like PostgreSQL's pg_size_pretty).
 */

export { formatBytes } from '@voicehive/db-core/internal';

/** A duration given in milliseconds: "3.2 ms", "856 ms", "642.23 s", "18 min", "2.5 h", "3.1 d". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a < 10) return `${ms.toFixed(2)} ms`;
  if (a < 1000) return `${ms.toFixed(0)} ms`;
  if (a < 3600_000) return `${(ms / 1000).toFixed(2)} s`;
  if (a < 86_400_000) return `${(ms / 3600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** How long ago or how old, coarse: "45 s", "18 min", "6 h", "3 d". */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, ms / 1000);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** Thousands separated: 2,147,483,647. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

/** A ratio as a percentage: 0.978 → "97.8%". */
export function formatPercent(ratio: number, digits = 1): string {
  if (!Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** Seconds as a clock for progress lines: "1:05", "2:03:07"; "--:--" when unknown. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Long SQL shortened to one line of at most `max` characters. */
export function shortSql(sql: string, max = 160): string {
  const one = sql.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
