import { Φ, φ } from "./distributions";
import type { Effect } from "./effect";

export interface BayesianResult {
  /** chance the variant is better, by the metric's direction */
  chanceToBeatControl: number;
  /** expected relative loss of choosing the variant, and of keeping control */
  risk: { variant: number; control: number };
}

/** Flat prior on the relative effect, whose posterior is N(rel, seRel²) (gbstats' EffectBayesianABTest). `direction` +1 when higher is better. */
export function bayesianTest(effect: Effect, direction: 1 | -1): BayesianResult {
  const se = effect.seRelative;
  const signed = direction * effect.relative;
  const chance = se > 0 ? Φ(signed / se) : signed > 0 ? 1 : signed < 0 ? 0 : 0.5;
  const lossIfVariant = se > 0 ? se * φ(signed / se) - signed * Φ(-signed / se) : Math.max(0, -signed);
  const lossIfControl = se > 0 ? se * φ(signed / se) + signed * Φ(signed / se) : Math.max(0, signed);
  return { chanceToBeatControl: chance, risk: { variant: lossIfVariant, control: lossIfControl } };
}
