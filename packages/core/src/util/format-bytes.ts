const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Bytes for people, one way everywhere (page, status issues, CLI, alerts):
 * binary multiples written kB/MB/GB the way PostgreSQL's pg_size_pretty
 * writes them, so a size in our output matches the one psql shows.
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${sign}${i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : 1)} ${BYTE_UNITS[i]}`;
}
