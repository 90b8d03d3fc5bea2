import { describe, expect, it } from "vitest";
import { Random } from "./random";
import { positionIn } from "./sorted-search";

describe("positionIn", () => {
  it("finds what a linear scan finds in ascending values, and −1 for the rest", () => {
    const random = new Random(7);
    for (let trial = 0; trial < 50; trial++) {
      const sorted = Int32Array.from(new Set(Array.from({ length: trial * 3 }, () => Math.floor(random.next() * 500) - 100))).sort();
      for (let value = -120; value < 420; value++) expect(positionIn(sorted, value)).toBe(sorted.indexOf(value));
    }
  });

  it("searches only the range it is given", () => {
    const sorted = Int32Array.of(1, 3, 5, 7, 9, 11);
    expect(positionIn(sorted, 7, 2, 5)).toBe(3);
    expect(positionIn(sorted, 1, 2, 5)).toBe(-1);
    expect(positionIn(sorted, 11, 2, 5)).toBe(-1);
    expect(positionIn(sorted, 5, 2, 2)).toBe(-1);
  });
});
