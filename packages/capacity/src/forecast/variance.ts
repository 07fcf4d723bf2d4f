/**
 * For exponential smoothing the h-step forecast variance is
 * σ²(1 + Σ_{j=1}^{h-1} c_j²). Forecast paths ask for every h in turn, so the
 * sum is kept as a growing prefix array instead of being recomputed.
 */
export function horizonStandardError(sigma: number, c: (j: number) => number): (h: number) => number {
  const prefix: number[] = [1];
  return (h: number) => {
    const k = Math.max(1, Math.floor(h));
    while (prefix.length < k) {
      const j = prefix.length;
      prefix.push(prefix[j - 1]! + c(j) ** 2);
    }
    return sigma * Math.sqrt(prefix[k - 1]!);
  };
}
