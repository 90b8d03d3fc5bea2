import { describe, expect, it } from "vitest";
import { bayesianTest } from "./bayesian";
import { Φ } from "./distributions";
import { effectOf } from "./effect";

describe("closed forms", () => {
  it("Bayesian chance to beat control is Φ(effect / se), and its risks differ by the effect", () => {
    const a = { n: 1000, mean: 10, varianceOfMean: 0.04, df: 999 };
    const b = { n: 1000, mean: 10.3, varianceOfMean: 0.05, df: 999 };
    const r = bayesianTest(effectOf(a, b), 1);
    const seRel = Math.sqrt(0.05 / 100 + (10.3 ** 2 * 0.04) / 10 ** 4);
    expect(r.chanceToBeatControl).toBeCloseTo(Φ(0.03 / seRel), 12);
    // E[max(0, X)] − E[max(0, −X)] = E[X] for X ~ N(0.03, seRel²).
    expect(r.risk.control - r.risk.variant).toBeCloseTo(0.03, 12);
    // Lower is better: the same numbers, the other way round.
    expect(bayesianTest(effectOf(a, b), -1).chanceToBeatControl).toBeCloseTo(1 - r.chanceToBeatControl, 12);
  });
});
