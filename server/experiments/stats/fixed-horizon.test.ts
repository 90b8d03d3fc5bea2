import { describe, expect, it } from "vitest";
import { effectOf } from "./effect";
import { fixedHorizonTest } from "./fixed-horizon";
import { moments, reference } from "./fixtures/reference";
import { meanEstimate } from "./moments";

describe("against reference values", () => {
  it("Welch's t-test: statistic's p-value, degrees of freedom and interval as SciPy", () => {
    const { control, variant, pValue, ci } = reference.welch;
    const result = fixedHorizonTest(effectOf(meanEstimate(moments(control)), meanEstimate(moments(variant))), 0.05);
    expect(result.pValue).toBeCloseTo(pValue, 10);
    expect(result.absolute.ci[0]).toBeCloseTo(ci[0], 8);
    expect(result.absolute.ci[1]).toBeCloseTo(ci[1], 8);
  });
});
