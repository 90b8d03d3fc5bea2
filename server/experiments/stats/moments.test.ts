import { describe, expect, it } from "vitest";
import { Random } from "../../lib/random";
import { moments, reference } from "./fixtures/reference";
import { cuped, Moments, ratioEstimate } from "./moments";

describe("against reference values", () => {
  it("the delta method's standard error of a ratio metric matches a bootstrap within 5%", () => {
    const { numerator, denominator, ratio, bootstrapSe } = reference.ratio;
    const estimate = ratioEstimate(moments(numerator, denominator));
    expect(estimate.mean).toBeCloseTo(ratio, 12);
    expect(Math.sqrt(estimate.varianceOfMean) / bootstrapSe).toBeGreaterThan(0.95);
    expect(Math.sqrt(estimate.varianceOfMean) / bootstrapSe).toBeLessThan(1.05);
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
});
