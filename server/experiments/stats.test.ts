import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Random } from "../lib/random";
import { benjaminiHochberg, compare, cuped, holm, meanEstimate, Moments, ratioEstimate, sampleRatioMismatch, sequentialHalfWidth, usersNeeded, z, Φ } from "./stats";

// Reference values computed with SciPy/NumPy by fixtures/reference.py (each case names its source).
const reference = JSON.parse(readFileSync(new URL("./fixtures/reference.json", import.meta.url), "utf8"));

const moments = (values: number[], covariates?: number[]) => {
  const m = new Moments();
  values.forEach((v, i) => m.add(v, covariates?.[i] ?? 0));
  return m;
};

describe("against reference values", () => {
  it("Welch's t-test: statistic's p-value, degrees of freedom and interval as SciPy", () => {
    const { control, variant, pValue, ci } = reference.welch;
    const result = compare(meanEstimate(moments(control)), meanEstimate(moments(variant)), { alpha: 0.05, direction: 1 });
    expect(result.pValue).toBeCloseTo(pValue, 10);
    expect(result.absolute.ci[0]).toBeCloseTo(ci[0], 8);
    expect(result.absolute.ci[1]).toBeCloseTo(ci[1], 8);
  });

  it("the delta method's standard error of a ratio metric matches a bootstrap within 5%", () => {
    const { numerator, denominator, ratio, bootstrapSe } = reference.ratio;
    const estimate = ratioEstimate(moments(numerator, denominator));
    expect(estimate.mean).toBeCloseTo(ratio, 12);
    expect(Math.sqrt(estimate.varianceOfMean) / bootstrapSe).toBeGreaterThan(0.95);
    expect(Math.sqrt(estimate.varianceOfMean) / bootstrapSe).toBeLessThan(1.05);
  });

  it("sample ratio mismatch: χ² and p-value as SciPy", () => {
    for (const c of reference.srm.cases) {
      const srm = sampleRatioMismatch(c.counts, c.weights);
      expect(srm.chiSquare).toBeCloseTo(c.chiSquare, 9);
      expect(srm.pValue).toBeCloseTo(c.pValue, 9);
    }
  });

  it("sample ratio mismatch is never NaN, whatever the weights", () => {
    // A weight stored as 0 (5e-324 scaled), with and without exposures in it; a weight next to nothing.
    expect(sampleRatioMismatch([0, 500, 480], [0, 0.5, 0.5])).toEqual(sampleRatioMismatch([500, 480], [0.5, 0.5]));
    expect(sampleRatioMismatch([3, 500], [0, 1])).toEqual({ chiSquare: Number.MAX_VALUE, pValue: 0 });
    expect(sampleRatioMismatch([400, 500], [5e-324, 1000])).toEqual({ chiSquare: Number.MAX_VALUE, pValue: 0 });
    expect(sampleRatioMismatch([0, 500], [0, 1])).toEqual({ chiSquare: 0, pValue: 1 });
    expect(sampleRatioMismatch([10, 10], [0, 0])).toEqual({ chiSquare: 0, pValue: 1 });
  });

  it("Holm and Benjamini–Hochberg adjusted p-values", () => {
    holm(reference.holm.pValues).forEach((p, i) => expect(p).toBeCloseTo(reference.holm.adjusted[i], 12));
    benjaminiHochberg(reference.benjaminiHochberg.pValues).forEach((p, i) => expect(p).toBeCloseTo(reference.benjaminiHochberg.adjusted[i], 12));
  });

  it("distributions and the confidence sequence's width", () => {
    const d = reference.distributions;
    expect(z(0.975)).toBeCloseTo(d.normalQuantile975, 10);
    expect(Φ(1)).toBeCloseTo(d.normalCdf1, 10);
    const s = reference.sequential;
    expect(sequentialHalfWidth(s.se, s.n, s.alpha, s.tuning)).toBeCloseTo(s.halfWidth, 10);
    // Always valid costs width: wider than the fixed-horizon interval.
    expect(sequentialHalfWidth(s.se, s.n, s.alpha, s.tuning)).toBeGreaterThan(z(0.975) * s.se);
  });
});

describe("closed forms", () => {
  it("CUPED removes ρ² of the variance when the covariate correlates ρ with the metric", () => {
    const random = new Random(7);
    const rho = 0.7;
    const variants = [new Moments(), new Moments()];
    for (let i = 0; i < 40_000; i++) {
      const x = random.normal();
      const y = 5 + rho * x + Math.sqrt(1 - rho * rho) * random.normal();
      variants[i % 2]!.add(y, x);
    }
    const { varianceReduction, theta } = cuped(variants);
    expect(theta).toBeCloseTo(rho, 1);
    expect(varianceReduction).toBeGreaterThan(rho * rho - 0.02);
    expect(varianceReduction).toBeLessThan(rho * rho + 0.02);
  });

  it("Bayesian chance to beat control is Φ(effect / se), and its risks differ by the effect", () => {
    const a = { n: 1000, mean: 10, varianceOfMean: 0.04, df: 999 };
    const b = { n: 1000, mean: 10.3, varianceOfMean: 0.05, df: 999 };
    const r = compare(a, b, { alpha: 0.05, direction: 1 });
    const seRel = Math.sqrt(0.05 / 100 + (10.3 ** 2 * 0.04) / 10 ** 4);
    expect(r.chanceToBeatControl).toBeCloseTo(Φ(0.03 / seRel), 12);
    // E[max(0, X)] − E[max(0, −X)] = E[X] for X ~ N(0.03, seRel²).
    expect(r.risk.control - r.risk.variant).toBeCloseTo(0.03, 12);
    // Lower is better: the same numbers, the other way round.
    expect(compare(a, b, { alpha: 0.05, direction: -1 }).chanceToBeatControl).toBeCloseTo(1 - r.chanceToBeatControl, 12);
  });
});

/** `experiments` A/A or A/B tests of skewed per-user values (exponential, like listens per day), `days` looks at growing samples. */
function simulate(options: { experiments: number; usersPerDay: number; days: number; uplift: number; sequential: boolean; seed: number; peek: boolean }) {
  const random = new Random(options.seed);
  const exponential = (mean: number) => -Math.log(1 - random.next()) * mean;
  let rejected = 0;
  for (let e = 0; e < options.experiments; e++) {
    const [a, b] = [new Moments(), new Moments()];
    let found = false;
    for (let day = 1; day <= options.days; day++) {
      for (let u = 0; u < options.usersPerDay; u++) {
        a.add(exponential(2));
        b.add(exponential(2 * (1 + options.uplift)));
      }
      if (!options.peek && day < options.days) continue;
      const r = compare(meanEstimate(a), meanEstimate(b), { alpha: 0.05, direction: 1, sequential: options.sequential ? { tuning: options.usersPerDay * options.days * 2 } : null });
      if (r.pValue < 0.05) found = true;
    }
    if (found) rejected++;
  }
  return rejected / options.experiments;
}

describe("by simulation (1,000 experiments each, fixed seeds)", () => {
  it("A/A at a fixed horizon: 3% to 7% false positives at α = 0.05", () => {
    const rate = simulate({ experiments: 1000, usersPerDay: 100, days: 14, uplift: 0, sequential: false, seed: 1, peek: false });
    expect(rate).toBeGreaterThanOrEqual(0.03);
    expect(rate).toBeLessThanOrEqual(0.07);
  });

  it("A/A looked at every day: the fixed-horizon test inflates, the sequential one stays at most 5%", () => {
    const naive = simulate({ experiments: 1000, usersPerDay: 100, days: 14, uplift: 0, sequential: false, seed: 2, peek: true });
    const sequential = simulate({ experiments: 1000, usersPerDay: 100, days: 14, uplift: 0, sequential: true, seed: 2, peek: true });
    expect(naive).toBeGreaterThan(0.1);
    expect(sequential).toBeLessThanOrEqual(0.05);
  });

  it("a planted uplift is found at the rate the power calculator promises, within 5 points", () => {
    // Exponential with mean 2: sd 2. Power 80% for a 10% uplift.
    const needed = usersNeeded({ mean: 2, sd: 2, mde: 0.1, alpha: 0.05, power: 0.8, weights: [0.5, 0.5] });
    const perVariant = Math.ceil(needed / 2);
    const rate = simulate({ experiments: 1000, usersPerDay: perVariant, days: 1, uplift: 0.1, sequential: false, seed: 3, peek: false });
    expect(Math.abs(rate - 0.8)).toBeLessThanOrEqual(0.05);
  });
});
