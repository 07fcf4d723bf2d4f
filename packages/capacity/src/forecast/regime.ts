import type { GridChange } from './changepoints.js';

export interface Regime {
  /** The values the models are fitted to: from the last trend change on, with later level shifts removed. */
  values: number[];
  /** Grid index of `values[0]` in the full series. */
  offset: number;
}

/**
 * What the models see after the changes are known. Before the last trend
 * change the series followed another law, so it is dropped: the trend is
 * fitted on the segment after it. A level shift alone (a bulk import, a
 * VACUUM FULL, a dropped partition) moves the series but not its growth, so
 * earlier points are moved by the jump instead of being thrown away; the
 * trend then keeps the whole segment's evidence rather than a few days'.
 */
export function currentRegime(values: readonly number[], changes: readonly GridChange[]): Regime {
  const lastTrend = changes.filter((c) => c.kind === 'trend').reduce((m, c) => Math.max(m, c.index), 0);
  const out = values.slice(lastTrend);
  for (const c of changes) {
    if (c.kind !== 'level' || c.index <= lastTrend) continue;
    for (let i = 0; i < c.index - lastTrend; i++) out[i]! += c.size;
  }
  // A bucket that straddled a change belongs to neither side: bridge it from its neighbours.
  for (const c of changes) {
    const i = c.index - 1 - lastTrend;
    if (c.transition && i > 0 && i + 1 < out.length) out[i] = (out[i - 1]! + out[i + 1]!) / 2;
  }
  return { values: out, offset: lastTrend };
}
