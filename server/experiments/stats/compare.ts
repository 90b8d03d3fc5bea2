import { bayesianTest, type BayesianResult } from "./bayesian";
import { effectOf, type FrequentistResult } from "./effect";
import { fixedHorizonTest } from "./fixed-horizon";
import type { Estimate } from "./moments";
import { sequentialTest } from "./sequential";

// Frequentist and Bayesian comparisons of a variant with control, as GrowthBook's gbstats reports them.

export type Comparison = FrequentistResult & BayesianResult;

export interface ComparisonOptions {
  alpha: number;
  /** +1 when higher is better, −1 when lower is */
  direction: 1 | -1;
  /** always-valid intervals and p-values (Howard et al. 2021); the tuning parameter is the sample size they are tightest at */
  sequential?: { tuning: number } | null;
}

/** Variant `b` against control `a`: the frequentist test the design asks for, and the Bayesian one. */
export function compare(a: Estimate, b: Estimate, options: ComparisonOptions): Comparison {
  const effect = effectOf(a, b);
  const frequentist = options.sequential ? sequentialTest(effect, options.alpha, options.sequential.tuning) : fixedHorizonTest(effect, options.alpha);
  return { ...frequentist, pValue: Math.min(1, Math.max(0, frequentist.pValue)), ...bayesianTest(effect, options.direction) };
}
