import type { Estimate } from "./moments";

/** Variant `b` against control `a`: the difference, absolute and relative, with their standard errors; what every test reads. */
export interface Effect {
  absolute: number;
  se: number;
  /** b̄/ā − 1, its standard error by the delta method */
  relative: number;
  seRelative: number;
  /** users on both sides */
  n: number;
  /** Welch–Satterthwaite degrees of freedom; ∞ when either side has none (ratio metrics: normal) */
  df: number;
}

function welchDf(a: Estimate, b: Estimate): number {
  if (a.df === undefined || b.df === undefined || a.df < 1 || b.df < 1) return Number.POSITIVE_INFINITY;
  const s = a.varianceOfMean + b.varianceOfMean;
  const d = a.varianceOfMean ** 2 / a.df + b.varianceOfMean ** 2 / b.df;
  return d > 0 ? (s * s) / d : Number.POSITIVE_INFINITY;
}

export function effectOf(a: Estimate, b: Estimate): Effect {
  const absolute = b.mean - a.mean;
  return {
    absolute,
    se: Math.sqrt(a.varianceOfMean + b.varianceOfMean),
    relative: a.mean !== 0 ? absolute / a.mean : 0,
    seRelative: a.mean !== 0 ? Math.sqrt(b.varianceOfMean / a.mean ** 2 + (b.mean ** 2 * a.varianceOfMean) / a.mean ** 4) : 0,
    n: a.n + b.n,
    df: welchDf(a, b),
  };
}

/** A frequentist test's answer: both intervals and the p-value. */
export interface FrequentistResult {
  absolute: { estimate: number; ci: [number, number] };
  relative: { estimate: number; ci: [number, number] };
  pValue: number;
}

export const intervals = (effect: Effect, half: number, halfRelative: number): Omit<FrequentistResult, "pValue"> => ({
  absolute: { estimate: effect.absolute, ci: [effect.absolute - half, effect.absolute + half] },
  relative: { estimate: effect.relative, ci: [effect.relative - halfRelative, effect.relative + halfRelative] },
});
