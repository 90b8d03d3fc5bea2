import { describe, expect, it } from "vitest";
import type { TrainSnapshot } from "../db/generated/client";
import { BASE_FAMILIES } from "./families/index";
import { popularity } from "./families/popularity";
import type { Family, FamilyDefinition, Params } from "./families/types";
import { ModelFitError } from "./fit-check";
import { unpaced } from "./pacer";
import { TrainSession } from "./session";
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
