import { describe, expect, it } from "vitest";
import { z, Φ } from "./distributions";
import { reference } from "./fixtures/reference";
import { sequentialHalfWidth } from "./sequential";

describe("against reference values", () => {
  it("distributions and the confidence sequence's width", () => {
    const d = reference.distributions;
    expect(z(0.975)).toBeCloseTo(d.normalQuantile975, 10);
    expect(Φ(1)).toBeCloseTo(d.normalCdf1, 10);
    const s = reference.sequential;
    expect(sequentialHalfWidth(s.se, s.n, s.alpha, s.tuning)).toBeCloseTo(s.halfWidth, 10);
    // Always valid costs width: wider than the fixed-horizon interval.
    expect(sequentialHalfWidth(s.se, s.n, s.alpha, s.tuning)).toBeGreaterThan(z(0.975) * s.se);
  });
});
