import { describe, expect, it } from "vitest";
import { holdOut, type Listens } from "./split";

const listens = (rows: [number, number, number][]): Listens => ({
  user: Int32Array.from(rows, (r) => r[0]),
  track: Int32Array.from(rows, (r) => r[1]),
  time: Float64Array.from(rows, (r) => r[2]),
});

const heldOut = (h: ReturnType<typeof holdOut>, user: number) => Array.from(h.test.indices.subarray(h.test.indptr[user]!, h.test.indptr[user + 1]!));

describe("time-based holdout", () => {
  it("holds out the 20% of each user's tracks discovered last, with every listen of them; users with fewer than 5 tracks stay whole", () => {
    const data = listens([
      // user 0: 10 tracks discovered at times 1..10; track 3 heard again at time 11 (its discovery stays at 4)
      ...Array.from({ length: 10 }, (_, i) => [0, i, i + 1] as [number, number, number]),
      [0, 3, 11],
      // user 1: 4 tracks
      [1, 0, 1],
      [1, 1, 2],
      [1, 2, 3],
      [1, 3, 4],
    ]);
    const h = holdOut(data, 2, 10, 1);
    expect(heldOut(h, 0).sort()).toEqual([8, 9]);
    expect(heldOut(h, 1)).toEqual([]);
    expect(h.train.user.length).toBe(11 - 2 + 4);
    expect(Array.from(h.train.track.filter((_, i) => h.train.user[i] === 0))).not.toContain(9);
  });

  it("tracks first heard at the same moment are ordered by the seed: the same seed, the same split", () => {
    // 10 tracks of one user all at one time: which 2 are held out is the seed's draw.
    const data = listens(Array.from({ length: 10 }, (_, i) => [0, i, 5] as [number, number, number]));
    const a = heldOut(holdOut(data, 1, 10, 42), 0);
    expect(a).toHaveLength(2);
    expect(heldOut(holdOut(data, 1, 10, 42), 0)).toEqual(a);
    const draws = new Set(Array.from({ length: 20 }, (_, seed) => heldOut(holdOut(data, 1, 10, seed), 0).join(",")));
    expect(draws.size).toBeGreaterThan(5);
  });
});
