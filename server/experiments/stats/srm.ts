import chisquareCdf from "@stdlib/stats-base-dists-chisquare-cdf";

/**
 * Sample ratio mismatch: Pearson's χ² of the exposures against the weights (df = variants − 1).
 * Never NaN: a variant weighted 0 (stored before weights had a floor) adds nothing when empty, and
 * any exposure in it is a certain mismatch (χ² reported as the largest finite number, p 0, so it stores as JSON).
 */
export function sampleRatioMismatch(counts: readonly number[], weights: readonly number[]): { chiSquare: number; pValue: number } {
  const total = counts.reduce((s, c) => s + c, 0);
  const sumW = weights.reduce((s, w) => s + w, 0);
  if (total === 0 || counts.length < 2 || !(sumW > 0)) return { chiSquare: 0, pValue: 1 };
  let chiSquare = 0;
  let cells = 0;
  for (const [i, c] of counts.entries()) {
    const expected = (total * weights[i]!) / sumW;
    if (!(expected > 0)) {
      if (c > 0) return { chiSquare: Number.MAX_VALUE, pValue: 0 };
      continue;
    }
    chiSquare += (c - expected) ** 2 / expected;
    cells++;
  }
  if (cells < 2) return { chiSquare: 0, pValue: 1 };
  // A weight so small its expected count is next to nothing overflows χ²: as certain a mismatch.
  if (!Number.isFinite(chiSquare)) return { chiSquare: Number.MAX_VALUE, pValue: 0 };
  return { chiSquare, pValue: 1 - chisquareCdf(chiSquare, cells - 1) };
}
