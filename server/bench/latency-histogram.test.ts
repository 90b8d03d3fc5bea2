import { describe, expect, it } from "vitest";
import { Random } from "../lib/random";
import { LatencyHistogram, quantileDifference, type BlockPair } from "./latency-histogram";

const histogram = (values: readonly number[]) => {
  const h = new LatencyHistogram();
  for (const v of values) h.add(v);
  return h;
};

/** Nearest rank, by sorting. */
const exact = (values: readonly number[], q: number) => [...values].sort((a, b) => a - b)[Math.ceil(q * values.length) - 1]!;

describe("latency histogram", () => {
  it("gives the nearest-rank quantile to within its 0.1 ms bin", () => {
    expect(histogram(Array.from({ length: 100 }, (_, i) => i + 1)).quantile(0.99)).toBe(99.1);
    const random = new Random(3);
    const values = Array.from({ length: 20_000 }, () => -5 * Math.log(1 - random.next()));
    for (const q of [0.5, 0.9, 0.99]) {
      const got = histogram(values).quantile(q);
      expect(got).toBeGreaterThan(exact(values, q));
      expect(got - exact(values, q)).toBeLessThanOrEqual(0.1 + 1e-9);
    }
    expect(histogram([0.05, 500]).quantile(1)).toBe(200);
  });

  it("finds a planted shift of the p99 inside its bootstrap interval, and no shift between equal conditions", () => {
    const random = new Random(7);
    const block = (shift: number) => histogram(Array.from({ length: 1000 }, () => shift + 4 - 3 * Math.log(1 - random.next())));
    const pairs = (shift: number): BlockPair[] => Array.from({ length: 40 }, () => ({ without: block(0), within: block(shift) }));
    const shifted = quantileDifference([pairs(3), pairs(3)], 0.99);
    expect(shifted.difference).toBeCloseTo(3, 0);
    expect(shifted.ci[0]).toBeLessThan(3);
    expect(shifted.ci[1]).toBeGreaterThan(3);
    expect(shifted.ci[0]).toBeGreaterThan(0);
    const equal = quantileDifference([pairs(0)], 0.99);
    expect(equal.ci[0]).toBeLessThan(0);
    expect(equal.ci[1]).toBeGreaterThan(0);
    expect(equal.ci[1] - equal.ci[0]).toBeLessThan(3);
  });

  it("cancels a difference between the two groups of listeners when each group is inside in one of two runs", () => {
    const random = new Random(11);
    // Group g's listeners are 3 ms slower by themselves; being inside costs nothing.
    const block = (slower: boolean) => histogram(Array.from({ length: 1000 }, () => (slower ? 3 : 0) + 4 - 3 * Math.log(1 - random.next())));
    const run = (slowerInside: boolean): BlockPair[] => Array.from({ length: 40 }, () => ({ without: block(!slowerInside), within: block(slowerInside) }));
    const first = run(true);
    const second = run(false);
    expect(quantileDifference([first], 0.99).ci[0]).toBeGreaterThan(0);
    const both = quantileDifference([first, second], 0.99);
    expect(both.ci[0]).toBeLessThan(0);
    expect(both.ci[1]).toBeGreaterThan(0);
  });
});
