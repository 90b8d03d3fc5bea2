import { describe, expect, it } from "vitest";
import { genrePopularity } from "./scoring";

describe("cold start by favourite genres", () => {
  const catalogue = { trackIds: Int32Array.from([1, 2, 3, 4]), genres: [["Rock", "Pop"], ["jazz"], ["Rock"], []] };
  const popularity = Float32Array.from([5, 3, 2, 9]);
  const scores = (favourite: string[]) => {
    const out = new Float32Array(4);
    genrePopularity(catalogue, popularity, favourite, out);
    return Array.from(out);
  };
  const none = Number.NEGATIVE_INFINITY;

  it("keeps the popularity of tracks in any favourite genre, whatever the case", () => {
    expect(scores(["rock"])).toEqual([5, none, 2, none]);
    expect(scores(["JAZZ", "pop"])).toEqual([5, 3, none, none]);
  });

  it("falls back to all tracks when no track is in a favourite genre", () => {
    expect(scores(["Classical"])).toEqual([5, 3, 2, 9]);
    expect(scores([])).toEqual([5, 3, 2, 9]);
  });
});
