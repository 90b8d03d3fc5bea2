import { describe, expect, it } from "vitest";
import { Random } from "../lib/random";
import { indexOf } from "./catalogue";

describe("indexOf", () => {
  it("finds what a linear scan finds in ascending ids, and −1 for the rest", () => {
    const random = new Random(7);
    for (let trial = 0; trial < 50; trial++) {
      const ids = Int32Array.from(new Set(Array.from({ length: trial * 3 }, () => Math.floor(random.next() * 500) - 100))).sort();
      for (let id = -120; id < 420; id++) expect(indexOf(ids, id)).toBe(ids.indexOf(id));
    }
  });
});
