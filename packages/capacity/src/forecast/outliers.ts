export interface OutlierOptions {
  /** Points either side of the one judged. Default 3. */
  halfWindow?: number;
  /** A point further than this many robust standard deviations from its window's median is an outlier. Default 4. */
  k?: number;
}

export interface OutlierResult {
  /** The series with each outlier replaced by its window's median. */
  values: number[];
  /** Grid indices that were replaced. */
  indices: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Hampel filter (Hampel 1974; Pearson et al. 2016): a point far from the
 * median of its neighbours is replaced by that median. A spike that returns
 * within the window is removed; a level shift is not, because on either side
 * of the step the centred median already sits on the new level. The scale is
 * a floor over the whole series (median absolute first difference) so that a
 * perfectly smooth stretch (MAD 0) does not turn every rounding wobble into an
 * outlier.
 */
export function replaceOutliers(values: readonly number[], options: OutlierOptions = {}): OutlierResult {
  const n = values.length;
  const w = Math.max(1, options.halfWindow ?? 3);
  const k = options.k ?? 4;
  const out = [...values];
  const indices: number[] = [];
  if (n < 2 * w + 1) return { values: out, indices };
  const diffs: number[] = [];
  for (let i = 1; i < n; i++) diffs.push(Math.abs(values[i]! - values[i - 1]!));
  const level = Math.abs(median([...values]));
  // First differences of white noise have sd σ√2: their median absolute value is 0.954σ... close enough to σ.
  const globalScale = Math.max(median(diffs), 1e-9 * level, Number.MIN_VALUE);
  for (let i = 0; i < n; i++) {
    // Near the ends the window keeps its size and slides inwards: the newest point cannot be told from a
    // fresh level shift until more arrive, and holding it at the old level for up to `w` steps is the cautious choice.
    const lo = Math.min(Math.max(0, i - w), n - (2 * w + 1));
    const hi = lo + 2 * w + 1;
    const win = values.slice(lo, hi);
    const med = median(win);
    const mad = 1.4826 * median(win.map((x) => Math.abs(x - med)));
    const scale = Math.max(mad, globalScale);
    if (Math.abs(values[i]! - med) > k * scale) {
      out[i] = med;
      indices.push(i);
    }
  }
  return { values: out, indices };
}
