function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Lag-m autocorrelation of the first differences, with differences beyond
 * 5 MADs clipped first: a repeating swing correlates with itself one season
 * later, white noise does not, and the single huge difference of a level
 * shift is clipped instead of counting as structure. About 0 without a
 * season; the weekly synthetic family scores about 0.6.
 */
export function seasonStrength(values: readonly number[], m: number): number {
  const d: number[] = [];
  for (let i = 1; i < values.length; i++) d.push(values[i]! - values[i - 1]!);
  if (d.length < 2 * m + 1) return 0;
  const med = median(d);
  const mad = 1.4826 * median(d.map((x) => Math.abs(x - med)));
  const c = d.map((x) => (mad > 0 ? Math.min(med + 5 * mad, Math.max(med - 5 * mad, x)) : x) - med);
  let num = 0;
  let den = 0;
  for (let i = 0; i < c.length; i++) {
    den += c[i]! * c[i]!;
    if (i + m < c.length) num += c[i]! * c[i + m]!;
  }
  return den > 0 ? num / den : 0;
}

/**
 * Removes a season of `m` steps (classical decomposition: a moving average
 * over one season is the trend, the median residual per phase the season; a
 * rolling median would follow the season itself whenever the trend over a
 * season outweighs the swing). Change detection runs on the
 * result, so a weekly swing is not mistaken for a trend change every few
 * days; the models still see the original values, and Holt-Winters fits the
 * season itself. Needs two full seasons; with fewer (or m < 2) the values
 * come back unchanged, as they do
 * when `seasonStrength` is below 0.3.
 */
export function removeSeason(values: readonly number[], m: number): number[] {
  const n = values.length;
  if (!Number.isInteger(m) || m < 2 || n < 2 * m + 1) return [...values];
  // Estimating a season that is not there only adds a periodic pattern of noise, and a rolling median
  // bends near a level shift: deseasonalise only when the differences really repeat.
  if (seasonStrength(values, m) < 0.3) return [...values];
  const half = Math.floor(m / 2);
  const byPhase: number[][] = Array.from({ length: m }, () => []);
  let sum = 0;
  for (let i = 0; i < m; i++) sum += values[i]!;
  // Window [i − half, i − half + m): for even m this is half a step off centre, which a weekly season tolerates.
  for (let i = half; i - half + m <= n; i++) {
    if (i > half) sum += values[i - half + m - 1]! - values[i - half - 1]!;
    byPhase[i % m]!.push(values[i]! - sum / m);
  }
  const season = byPhase.map(median);
  const mean = season.reduce((a, b) => a + b, 0) / m;
  return values.map((v, i) => v - (season[i % m]! - mean));
}
