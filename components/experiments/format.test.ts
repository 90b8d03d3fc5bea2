import { describe, expect, it } from "vitest";
import { validateNumbers, type Numbers } from "./design-form";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { IntervalBar, metricAxis } from "./ForestPlot";
import { chanceTone, formatP, formatPercent, formatVarianceReduction } from "./format";

describe("results at a glance", () => {
  it("gives each metric its own axis centred at 0 with round ticks, so +880% does not shrink a ±3% interval", () => {
    expect(metricAxis([[-0.03, 0.02]])).toEqual({ bound: 0.04, ticks: [-0.04, -0.02, 0, 0.02, 0.04] });
    const wide = metricAxis([[2.1, 8.8]]);
    expect(wide.bound).toBe(10);
    expect(wide.ticks).toEqual([-10, -5, 0, 5, 10]);
    expect(metricAxis([]).bound).toBeGreaterThan(0);
  });

  it("labels an interval and its axis with signs, 0 without one", () => {
    const label = renderToStaticMarkup(
      createElement(IntervalBar, { low: -0.395, estimate: -0.078, high: 0.239, axis: metricAxis([[-0.395, 0.239]]), better: null }),
    );
    expect(label).toContain('aria-label="interval −39.5% to +23.9%, estimate −7.8%, on an axis from −40% to +40%"');
    expect([...label.matchAll(/<text[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).toEqual(["−40%", "−20%", "0%", "+20%", "+40%"]);
  });

  it("never says p 0.0000 or −0% variance", () => {
    expect(formatP(0)).toBe("< 0.0001");
    expect(formatP(0.00004)).toBe("< 0.0001");
    expect(formatP(0.0123)).toBe("0.0123");
    expect(formatVarianceReduction(0.001)).toBe("no reduction");
    expect(formatVarianceReduction(-0.02)).toBe("no reduction");
    expect(formatVarianceReduction(0.234)).toBe("23% less variance");
    expect(formatPercent(-0.05)).toBe("−5.0%");
  });

  it("colours the chance to beat control by GrowthBook's thresholds", () => {
    expect([0.97, 0.5, 0.02].map(chanceTone)).toEqual(["win", "even", "lose"]);
  });
});

describe("the design form's numbers", () => {
  const design = (over: Partial<Numbers> = {}): Numbers => ({
    variants: [
      { key: "control", versionId: 1, share: "50" },
      { key: "treatment", versionId: 2, share: "50" },
    ],
    coverage: "100",
    alpha: "5",
    mde: "5",
    ...over,
  });
  it("takes percentages with their units and says what is wrong next to each field", () => {
    expect(validateNumbers(design())).toEqual({});
    expect(validateNumbers(design({ mde: "0.01", alpha: "50", coverage: "0" }))).toEqual({
      mde: expect.stringMatching(/0\.1% to 100%/),
      alpha: expect.stringMatching(/α/),
      coverage: expect.stringMatching(/1% to 100%/),
    });
    const three = [
      { key: "control", versionId: 1, share: "40" },
      { key: "b", versionId: 2, share: "30" },
      { key: "b", versionId: 3, share: "20" },
    ];
    expect(validateNumbers(design({ variants: three }))).toEqual({ key2: "variant keys must differ", shares: "the shares add up to 90%, not 100%" });
  });
});
