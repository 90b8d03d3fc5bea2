import { describe, expect, it } from "vitest";
import { Random } from "../../lib/random";
import { compare } from "./compare";
import { meanEstimate, Moments } from "./moments";
import { usersNeeded } from "./power";

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
      const r = compare(meanEstimate(a), meanEstimate(b), {
        alpha: 0.05,
        direction: 1,
        sequential: options.sequential ? { tuning: options.usersPerDay * options.days * 2 } : null,
      });
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
