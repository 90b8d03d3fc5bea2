import { describe, expect, it } from "vitest";
import { reference } from "./fixtures/reference";
import { sampleRatioMismatch } from "./srm";

describe("against reference values", () => {
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
});
