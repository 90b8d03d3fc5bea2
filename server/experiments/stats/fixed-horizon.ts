import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { z, Φ } from "./distributions";
import { intervals, type Effect, type FrequentistResult } from "./effect";

const quantile = (p: number, df: number) => (Number.isFinite(df) ? tQuantile(p, df) : z(p));
const twoSidedP = (stat: number, df: number) => 2 * (1 - (Number.isFinite(df) ? tCdf(Math.abs(stat), df) : Φ(Math.abs(stat))));

/** Welch's two-sided t-test at a fixed horizon (gbstats' TwoSidedTTest): valid when looked at once, at the planned size. */
export function fixedHorizonTest(effect: Effect, alpha: number): FrequentistResult {
  const q = quantile(1 - alpha / 2, effect.df);
  const { absolute, se, df } = effect;
  return { ...intervals(effect, q * se, q * effect.seRelative), pValue: se > 0 ? twoSidedP(absolute / se, df) : absolute === 0 ? 1 : 0 };
}
