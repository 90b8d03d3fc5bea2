import { describe, expect, it } from "vitest";
import { benjaminiHochberg, holm } from "./corrections";
import { reference } from "./fixtures/reference";

describe("against reference values", () => {
  it("Holm and Benjamini–Hochberg adjusted p-values", () => {
    holm(reference.holm.pValues).forEach((p, i) => expect(p).toBeCloseTo(reference.holm.adjusted[i], 12));
    benjaminiHochberg(reference.benjaminiHochberg.pValues).forEach((p, i) => expect(p).toBeCloseTo(reference.benjaminiHochberg.adjusted[i], 12));
  });
});
