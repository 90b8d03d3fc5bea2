import { describe, expect, it } from "vitest";
import { inCatalogue } from "./catalogue";
import { itemKnnModel } from "./families/item-knn";

describe("a model seen through another catalogue", () => {
  // Tracks 10, 20, 30; 20 and 30 are neighbours of 10 (similarity 0.5 and 0.25).
  const model = itemKnnModel(
    Int32Array.from([10, 20, 30]),
    { indptr: Int32Array.from([0, 2, 2, 2]), indices: Int32Array.from([1, 2]), similarity: Float32Array.from([0.5, 0.25]) },
    {},
  );

  it("maps histories in and scores out by track id; tracks it never saw score −∞, tracks it lost are dropped", () => {
    // The new catalogue keeps 10 and 30, has lost 20 and gained 40: the indices differ.
    const seen = inCatalogue(model, Int32Array.from([10, 30, 40]));
    const out = new Float32Array(3);
    seen.scoreHistory({ items: Int32Array.from([0]), counts: Float32Array.from([Math.E - 1]) }, out);
    expect(Array.from(out)).toEqual([0, Math.fround(0.25), Number.NEGATIVE_INFINITY]);
    expect(Array.from(seen.because({ items: Int32Array.from([0]), counts: Float32Array.from([1]) }, 1, 2))).toEqual([0]);
    expect(Array.from(seen.because({ items: Int32Array.from([0]), counts: Float32Array.from([1]) }, 2, 2))).toEqual([]);
  });

  it("is the model itself when the catalogues are the same", () => {
    expect(inCatalogue(model, Int32Array.from([10, 20, 30]))).toBe(model);
  });
});
