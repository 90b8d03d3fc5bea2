import { intervals, type Effect, type FrequentistResult } from "./effect";

/**
 * Half-width of the asymptotic confidence sequence of Howard, Ramdas, McAuliffe & Sekhon (2021),
 * eq. (14), as GrowthBook applies it to an effect with standard error `se` after `n` users:
 * σ√n · √(2(nρ²+1)/(n²ρ²) · ln(√(nρ²+1)/α)), ρ chosen so the bound is tightest at n = tuning.
 */
export function sequentialHalfWidth(se: number, n: number, alpha: number, tuning: number): number {
  const rho = Math.sqrt((-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / tuning);
  const sigma = se * Math.sqrt(n);
  return sigma * Math.sqrt(((2 * (n * rho * rho + 1)) / (n * n * rho * rho)) * Math.log(Math.sqrt(n * rho * rho + 1) / alpha));
}

/** The smallest α whose confidence sequence excludes 0: an always-valid p-value (bisection; the width falls as α grows). */
function sequentialP(estimate: number, se: number, n: number, tuning: number): number {
  if (se === 0) return estimate === 0 ? 1 : 0;
  if (sequentialHalfWidth(se, n, 1 - 1e-12, tuning) >= Math.abs(estimate)) return 1;
  let lo = 1e-12;
  let hi = 1 - 1e-12;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (sequentialHalfWidth(se, n, mid, tuning) < Math.abs(estimate)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Always-valid intervals and p-value (gbstats' SequentialTwoSidedTTest): they may be looked at every day. */
export function sequentialTest(effect: Effect, alpha: number, tuning: number): FrequentistResult {
  const { absolute, se, seRelative, n } = effect;
  return {
    ...intervals(effect, sequentialHalfWidth(se, n, alpha, tuning), sequentialHalfWidth(seRelative, n, alpha, tuning)),
    pValue: sequentialP(absolute, se, n, tuning),
  };
}
