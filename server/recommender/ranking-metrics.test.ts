import { describe, expect, it } from "vitest";
import { atK } from "./ranking-metrics";
import { topK } from "./topk";

const log2 = Math.log2;

describe("ranking metrics, against hand computation", () => {
  it("hits at ranks 1 and 3 of 5, two of three relevant", () => {
    const m = atK([7, 1, 9, 2, 3], new Set([7, 9, 4]), 5);
    expect(m.precision).toBeCloseTo(2 / 5, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    // DCG = 1/log2(2) + 1/log2(4); IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4)
    expect(m.ndcg).toBeCloseTo((1 + 1 / 2) / (1 + 1 / log2(3) + 1 / 2), 12);
    // AP = (1/1 + 2/3) / min(3, 5)
    expect(m.map).toBeCloseTo((1 + 2 / 3) / 3, 12);
    expect(m.hit).toBe(1);
  });

  it("a list shorter than k counts the missing places as misses; IDCG uses min(|relevant|, k)", () => {
    const m = atK([4], new Set([4, 5]), 10);
    expect(m.precision).toBeCloseTo(1 / 10, 12);
    expect(m.recall).toBeCloseTo(1 / 2, 12);
    expect(m.ndcg).toBeCloseTo(1 / (1 + 1 / log2(3)), 12);
    expect(m.map).toBeCloseTo(1 / 2, 12);
  });

  it("more relevant tracks than k: recall over all of them, NDCG and AP over k", () => {
    const m = atK([1, 2], new Set([1, 2, 3, 4, 5]), 2);
    expect(m).toEqual({ precision: 1, recall: 2 / 5, ndcg: 1, map: 1, hit: 1 });
  });

  it("no hit gives zeros", () => {
    expect(atK([1, 2, 3], new Set([9]), 3)).toEqual({ precision: 0, recall: 0, ndcg: 0, map: 0, hit: 0 });
  });

  it("ties rank the lower track index first, and excluded (−∞) tracks never appear", () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, Number.NEGATIVE_INFINITY, 0.9, 0.1]);
    expect(Array.from(topK(scores, 4))).toEqual([1, 4, 0, 2]);
    expect(Array.from(topK(scores, 10))).toEqual([1, 4, 0, 2, 5]);
    // With ties, which tracks are hits depends on that order: track 2 is 4th, not 3rd.
    expect(atK(topK(scores, 3), new Set([2]), 3).hit).toBe(0);
  });
});
