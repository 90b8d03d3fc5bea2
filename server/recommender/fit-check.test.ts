import { describe, expect, it } from "vitest";
import type { Model } from "./families/types";
import { checkedFit, ModelFitError } from "./fit-check";

const model = (items: Float32Array): Model => ({
  family: "als",
  params: { factors: 2 },
  trackIds: Int32Array.from([1, 2]),
  scoreHistory: () => undefined,
  because: () => new Int32Array(),
  artefact: () => ({ meta: {}, arrays: { users: new Float32Array([0.5, -1]), items } }),
});

describe("a fitted model is checked before it is kept", () => {
  it("finite factors pass unchanged", () => {
    const fitted = model(new Float32Array([1, 2, 3, 4]));
    expect(checkedFit(fitted)).toBe(fitted);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])("a factor of %s is a ModelFitError naming where", (bad) => {
    expect(() => checkedFit(model(new Float32Array([1, 2, bad, 4])))).toThrow(ModelFitError);
    expect(() => checkedFit(model(new Float32Array([1, 2, bad, 4])))).toThrow(`als {"factors":2} fitted a non-finite value (${bad} at items[2])`);
  });
});
