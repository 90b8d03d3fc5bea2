// How results read at a glance (GrowthBook's conventions): plain strings and a tone, no React.

export const formatPercent = (v: number, digits = 1) => `${v >= 0 ? "+" : "−"}${Math.abs(v * 100).toFixed(digits)}%`;

/** p below what 4 decimals show is "< 0.0001", never "0.0000". */
export const formatP = (p: number) => (p < 0.0001 ? "< 0.0001" : p.toFixed(4));

/** Chance to beat control: a win at 95% or more, a loss at 5% or less (GrowthBook's default thresholds). */
export function chanceTone(chance: number): "win" | "lose" | "even" {
  return chance >= 0.95 ? "win" : chance <= 0.05 ? "lose" : "even";
}

/** CUPED's variance reduction, said so; a reduction under 0.5% is none. */
export const formatVarianceReduction = (reduction: number) => (reduction >= 0.005 ? `${(reduction * 100).toFixed(0)}% less variance` : "no reduction");

/** Risk: the expected relative loss of choosing the variant (and of keeping control instead). */
export const formatRisk = (risk: { variant: number; control: number }) => `${(risk.variant * 100).toFixed(2)}% (control ${(risk.control * 100).toFixed(2)}%)`;
