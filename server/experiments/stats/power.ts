import { z } from "./distributions";

/**
 * Users a two-sided fixed-horizon test needs to detect a relative effect `mde` on a metric with
 * this mean and standard deviation, with `weights` (control first) and Bonferroni over the variants:
 * n = (z₁₋α/₂ + z₁₋β)² σ² (1/w_c + 1/w_v) / (mde·μ)².
 */
export function usersNeeded(options: { mean: number; sd: number; mde: number; alpha: number; power: number; weights: readonly number[] }): number {
  const { mean, sd, mde, alpha, power, weights } = options;
  const comparisons = Math.max(1, weights.length - 1);
  const zz = z(1 - alpha / (2 * comparisons)) + z(power);
  const wc = weights[0]!;
  const wv = Math.min(...weights.slice(1));
  const effect = mde * Math.abs(mean);
  if (effect === 0) return Number.POSITIVE_INFINITY;
  return Math.ceil((zz * zz * sd * sd * (1 / wc + 1 / wv)) / (effect * effect));
}
