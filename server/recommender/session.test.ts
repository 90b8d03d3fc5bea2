import { describe, expect, it } from "vitest";
import type { TrainSnapshot } from "../db/generated/client";
import { BASE_FAMILIES } from "./families/index";
import { popularity } from "./families/popularity";
import type { Family, FamilyDefinition, Params } from "./families/types";
import { ModelFitError } from "./fit-check";
import { unpaced } from "./pacer";
import { splitsOf, TrainSession, tuningSample } from "./session";
import { trainFamily } from "./train-family";
import type { Snapshot } from "./snapshot";

const DAY_MS = 86_400_000;

/** 4 users, 5 tracks: [user, track, listens], one listen a day. */
const HEARD = [
  [0, 0, 1],
  [0, 1, 2],
  [1, 1, 1],
  [2, 2, 3],
  [3, 3, 1],
  [3, 4, 1],
] as const;

function smallSnapshot(): Snapshot {
  const listens = HEARD.flatMap(([user, track, count]) => Array.from({ length: count }, () => [user, track] as const));
  return {
    userIds: Int32Array.from([1, 2, 3, 4]),
    trackIds: Int32Array.from([100, 101, 102, 103, 104]),
    listenUser: Int32Array.from(listens, ([user]) => user),
    listenTrack: Int32Array.from(listens, ([, track]) => track),
    listenTime: Float64Array.from(listens, (_, day) => Date.UTC(2026, 0, 1) + day * DAY_MS),
    tracks: { name: Array(5).fill("t"), artist: Array(5).fill("a"), genres: Array.from({ length: 5 }, () => ["Rock"]) },
    users: { favoriteGenres: Array.from({ length: 4 }, () => ["Rock"]) },
  };
}

/** Parameters that make each family's fit overflow or divide by nothing, as a diverging fit would. */
const DIVERGING: Record<Exclude<Family, "hybrid">, Params> = {
  popularity: { halfLifeDays: -1e-9 },
  item_knn: { neighbours: 5, shrink: Number.NaN },
  rp3beta: { alpha: 1, beta: Number.NaN, neighbours: 5 },
  // Confidences near float32's limit: the user factors overflow while the stored item factors stay finite.
  als: { factors: 2, regularization: 1e-30, alpha: 1e38, iterations: 3, cgSteps: 3 },
  ease: { lambda: Number.NaN, maxItems: 5 },
};

describe("a train session keeps only finite fits", () => {
  it.each(BASE_FAMILIES.map((d) => [d.family, d] as const))(
    "%s: a fit with non-finite values is a ModelFitError and is not kept; its grid's first fit passes",
    async (_family, definition) => {
      const session = new TrainSession({} as TrainSnapshot, smallSnapshot(), 7, unpaced());
      await expect(session.fit(definition, DIVERGING[definition.family], "final")).rejects.toThrow(ModelFitError);
      await expect(session.fit(definition, DIVERGING[definition.family], "final")).rejects.toThrow(ModelFitError);
      await expect(session.fit(definition, definition.grid[0]!, "final")).resolves.toMatchObject({ family: definition.family });
    },
  );
});

describe("tuning a family", () => {
  it("keeps only the chosen candidate fitted: the others are fitted again when asked for", async () => {
    const fitted: number[] = [];
    const counted: FamilyDefinition = {
      ...popularity,
      fit: (data, params, options) => {
        fitted.push(params.halfLifeDays!);
        return popularity.fit(data, params, options);
      },
    };
    const session = new TrainSession({} as TrainSnapshot, smallSnapshot(), 7, unpaced());
    const trained = await trainFamily(session, counted, { tune: 10, evaluate: 10 });
    // Every candidate ties here (no user has enough tracks to hold out): the first is chosen.
    expect(trained.params).toEqual(popularity.grid[0]);
    expect(fitted).toEqual([30, 7, 0, 30, 30]);
    await session.fit(counted, trained.params, "validation");
    expect(fitted).toHaveLength(5);
    await session.fit(counted, popularity.grid[1]!, "validation");
    expect(fitted).toEqual([30, 7, 0, 30, 30, 7]);
  });
});

describe("the splits of a train session", () => {
  /** `users` listeners with 10 tracks each, one listen a day. */
  function snapshotOf(users: number): Snapshot {
    const listens = Array.from({ length: users * 10 }, (_, k) => [Math.floor(k / 10), (k * 7) % 50] as const);
    return {
      userIds: Int32Array.from({ length: users }, (_, u) => u + 1),
      trackIds: Int32Array.from({ length: 50 }, (_, t) => t + 100),
      listenUser: Int32Array.from(listens, ([user]) => user),
      listenTrack: Int32Array.from(listens, ([, track]) => track),
      listenTime: Float64Array.from(listens, (_, k) => Date.UTC(2026, 0, 1) + (k % 10) * DAY_MS),
      tracks: { name: Array(50).fill("t"), artist: Array(50).fill("a"), genres: Array.from({ length: 50 }, () => ["Rock"]) },
      users: { favoriteGenres: Array.from({ length: users }, () => ["Rock"]) },
    };
  }
  const usersIn = (listens: { user: Int32Array }) => new Set(listens.user);

  it("tunes on every listener up to the sample's size, and on a sample of that size drawn with the seed past it", () => {
    const snapshot = snapshotOf(40);
    const whole = splitsOf(snapshot, 7, 40);
    expect(usersIn(whole.validation.listens).size).toBe(40);
    const sampled = splitsOf(snapshot, 7, 15);
    const tuned = usersIn(sampled.validation.listens);
    expect(tuned.size).toBe(15);
    // Only the sample's listeners have held-out tracks to tune against.
    for (let u = 0; u < 40; u++) expect(sampled.validation.heldOut!.indptr[u + 1]! > sampled.validation.heldOut!.indptr[u]!).toBe(tuned.has(u));
    // The test and final stages keep everyone, as without a sample.
    expect(sampled.test.matrix).toEqual(whole.test.matrix);
    expect(sampled.final.matrix).toEqual(whole.final.matrix);
    expect(usersIn(splitsOf(snapshot, 7, 15).validation.listens)).toEqual(tuned);
    expect(usersIn(splitsOf(snapshot, 8, 15).validation.listens)).not.toEqual(tuned);
  });

  it("a sample is the first steps of a shuffle: `size` distinct listeners, each as likely", () => {
    expect(tuningSample(10, 10, 1)).toBeNull();
    const picked = new Float64Array(20);
    for (let seed = 0; seed < 4000; seed++) {
      const sample = tuningSample(20, 5, seed)!;
      expect(sample.reduce((a, b) => a + b, 0)).toBe(5);
      sample.forEach((chosen, u) => (picked[u]! += chosen));
    }
    // Each listener is picked with probability 5/20: 1,000 of 4,000 draws, ± 4 standard deviations (√(4000·¼·¾) ≈ 27).
    for (const count of picked) expect(Math.abs(count - 1000)).toBeLessThan(110);
  });

  it("on shared memory, a session's splits are the same arrays a session builds for itself", () => {
    const snapshot = snapshotOf(40);
    const shared = TrainSession.onSharedMemory({} as TrainSnapshot, snapshot, 7, unpaced(), 15);
    expect(shared.splits.test.matrix.indices.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.snapshot.listenTime.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.snapshot.tracks).toEqual(snapshot.tracks);
    expect(shared.splits).toEqual(splitsOf(snapshot, 7, 15));
  });
});
