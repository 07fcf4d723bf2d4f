/** A least-squares line through one segment [from, to) of a series, x being the grid index. */
export interface SegmentFit {
  from: number;
  to: number;
  n: number;
  slope: number;
  intercept: number;
  /** Residual sum of squares. */
  sse: number;
  /** Mean of x and Σ(x − x̄)², for standard errors. */
  xMean: number;
  sxx: number;
}

/**
 * Prefix sums that give the least-squares line and its residual sum of
 * squares for any segment in O(1), which is what makes the exact O(n²)
 * change-point search affordable. Values are centred and scaled first so
 * that sums of squares of byte counts (1e10²) do not lose the noise to
 * rounding.
 */
export class SegmentSums {
  readonly n: number;
  readonly #center: number;
  readonly #scale: number;
  readonly #s = { x: [0], y: [0], xx: [0], xy: [0], yy: [0] };

  constructor(values: readonly number[]) {
    this.n = values.length;
    let mean = 0;
    for (const v of values) mean += v;
    mean /= Math.max(1, values.length);
    let sd = 0;
    for (const v of values) sd += (v - mean) ** 2;
    sd = Math.sqrt(sd / Math.max(1, values.length));
    this.#center = mean;
    this.#scale = sd > 0 && Number.isFinite(sd) ? sd : 1;
    const s = this.#s;
    for (let i = 0; i < values.length; i++) {
      const y = (values[i]! - this.#center) / this.#scale;
      s.x.push(s.x[i]! + i);
      s.y.push(s.y[i]! + y);
      s.xx.push(s.xx[i]! + i * i);
      s.xy.push(s.xy[i]! + i * y);
      s.yy.push(s.yy[i]! + y * y);
    }
  }

  /** Residual sum of squares of the segment's line, in scaled units (what the search compares). */
  cost(from: number, to: number): number {
    const f = this.#fitScaled(from, to);
    return f.sse;
  }

  /** The segment's line in the series' own units. */
  fit(from: number, to: number): SegmentFit {
    const f = this.#fitScaled(from, to);
    const k = this.#scale;
    return {
      from,
      to,
      n: to - from,
      slope: f.slope * k,
      intercept: f.intercept * k + this.#center,
      sse: f.sse * k * k,
      xMean: f.xMean,
      sxx: f.sxx,
    };
  }

  /** Multiplies a variance in scaled units back into the series' units. */
  get scale(): number {
    return this.#scale;
  }

  #fitScaled(from: number, to: number) {
    const s = this.#s;
    const n = to - from;
    const sx = s.x[to]! - s.x[from]!;
    const sy = s.y[to]! - s.y[from]!;
    const xMean = sx / n;
    const yMean = sy / n;
    const sxx = s.xx[to]! - s.xx[from]! - n * xMean * xMean;
    const sxy = s.xy[to]! - s.xy[from]! - n * xMean * yMean;
    const syy = s.yy[to]! - s.yy[from]! - n * yMean * yMean;
    const slope = sxx > 0 ? sxy / sxx : 0;
    const sse = Math.max(0, syy - slope * sxy);
    return { slope, intercept: yMean - slope * xMean, sse, xMean, sxx };
  }
}
