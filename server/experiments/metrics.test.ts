import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { refreshDiscoveries } from "./discoveries";
import { METRIC_KEYS, METRICS, variantMoments } from "./metrics";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const day = (d: string) => new Date(`2026-01-${d}T00:00:00Z`);

/** A hand-built experiment: two listeners in each variant, exposed on 10 January, data up to the 30th. */
async function handBuilt(): Promise<number> {
  const { db } = database;
  const now = day("01");
  await db.track.createMany({
    data: Array.from({ length: 9 }, (_, i) => ({
      id: i + 1,
      name: `t${i + 1}`,
      artist: "a",
      songwriters: "s",
      duration: "03:00",
      genres: "Rock",
      album: "x",
      createdAt: now,
      updatedAt: now,
    })),
  });
  await db.user.createMany({
    data: [1, 2, 3, 4].map((id) => ({
      id,
      firstName: "f",
      lastName: "l",
      email: `${id}@x`,
      gender: "x",
      favoriteGenres: "Rock",
      createdAt: now,
      updatedAt: now,
    })),
  });
  await db.listenHistory.createMany({
    data: [
      // Listener 1: 3 listens before exposure; after: 3 on the 11th (tracks 4 and 5 new, 1 heard before), 1 on the 20th (track 6, new, after the hit window).
      { userId: 1, items: [1, 2, 3], createdAt: day("05"), updatedAt: day("05") },
      { userId: 1, items: [4, 5, 1], createdAt: day("11"), updatedAt: day("11") },
      { userId: 1, items: [6], createdAt: day("20"), updatedAt: day("20") },
      // Listener 3: 2 new tracks on the 12th.
      { userId: 3, items: [7, 8], createdAt: day("12"), updatedAt: day("12") },
      // Listener 4: only after the 14-day window; it is also the newest listening (asOf).
      { userId: 4, items: [9], createdAt: day("30"), updatedAt: day("30") },
    ],
  });
  const experiment = await db.experiment.create({
    data: {
      key: "hand",
      name: "hand",
      hypothesis: "h",
      seed: "hand",
      primaryMetric: "hit_rate",
      secondaryMetrics: [],
      guardrailMetrics: [],
      createdBy: "t",
      status: "running",
      startedAt: day("10"),
    },
  });
  const exposure = (userId: number, variant: string, served: number[]) => ({
    experimentId: experiment.id,
    userId,
    variant,
    firstExposedAt: day("10"),
    lastExposedAt: day("10"),
    exposures: 1,
    servedTrackIds: served,
  });
  await db.experimentExposure.createMany({
    data: [exposure(1, "control", [4, 6, 9]), exposure(2, "control", []), exposure(3, "treatment", [7]), exposure(4, "treatment", [9])],
  });
  const event = (id: string, type: "impression" | "play" | "skip" | "like", at: Date) => ({ id, userId: 3, trackId: 7, type, at });
  await db.feedbackEvent.createMany({
    data: [
      event("e1", "impression", day("11")),
      event("e2", "impression", day("11")),
      event("e3", "play", day("11")),
      event("e4", "skip", day("12")),
      event("e5", "like", day("12")),
      event("e0", "impression", day("09")),
    ],
  });
  return experiment.id;
}

describe("experiment metrics, set-based in SQL", () => {
  it("gives each metric's sums per variant as computed by hand", async () => {
    const id = await handBuilt();
    await refreshDiscoveries(database.pool);
    const moments = await variantMoments(database.pool, id, day("30"));
    const control = moments.get("control")!;
    const treatment = moments.get("treatment")!;
    expect(control.hit_rate.n).toBe(2);
    // Hit rate: listener 1 heard 4 of their served tracks (4, 6, 9) within 7 days (6 came 10 days after exposure): 1/3; listener 2: 0.
    expect(control.hit_rate.sumY).toBeCloseTo(1 / 3, 12);
    expect(treatment.hit_rate.sumY).toBeCloseTo(1, 12);
    // Listens per day over 14 days (20 days of data since exposure): 4/14 and 0; CUPED's covariate: 3 listens in the 14 days before.
    expect(control.listens_per_day.sumY).toBeCloseTo(4 / 14, 12);
    expect(control.listens_per_day.sumY2).toBeCloseTo((4 / 14) ** 2, 12);
    expect(control.listens_per_day.sumX).toBeCloseTo(3 / 14, 12);
    expect(control.listens_per_day.sumXY).toBeCloseTo((3 / 14) * (4 / 14), 12);
    expect(treatment.listens_per_day.sumY).toBeCloseTo(2 / 14, 12);
    // New tracks: 4, 5, 6 for listener 1 (1 was heard before); 7, 8 for listener 3; 9 falls after listener 4's window.
    expect(control.new_tracks.sumY).toBe(3);
    expect(treatment.new_tracks.sumY).toBe(2);
    // Feedback after exposure only (the impression of the 9th does not count).
    expect(treatment.plays_per_impression.sumY).toBe(1);
    expect(treatment.plays_per_impression.sumX).toBe(2);
    expect(treatment.skips_per_impression.sumY).toBe(1);
    expect(treatment.likes_per_impression.sumY).toBe(1);
    expect(control.plays_per_impression.sumX).toBe(0);
    expect(Object.keys(control).sort()).toEqual([...METRIC_KEYS].sort());
    // Cut into ranges of one listener each, the sums are the same.
    const byOne = await variantMoments(database.pool, id, day("30"), { chunk: 1 });
    for (const variant of ["control", "treatment"]) for (const key of METRIC_KEYS) expect(byOne.get(variant)![key]).toEqual(moments.get(variant)![key]);
  });

  it("reads each metric over its declared window", async () => {
    const id = (await database.db.experiment.findUniqueOrThrow({ where: { key: "hand" } })).id;
    const longer = {
      ...METRICS,
      hit_rate: { ...METRICS.hit_rate, windowDays: 14 },
      listens_per_day: { ...METRICS.listens_per_day, windowDays: 7 },
      new_tracks: { ...METRICS.new_tracks, windowDays: 5 },
    };
    const control = (await variantMoments(database.pool, id, day("30"), { metrics: longer })).get("control")!;
    // Listener 1's track 6 (heard 10 days after exposure) is a hit within 14 days: 2 of 3 served.
    expect(control.hit_rate.sumY).toBeCloseTo(2 / 3, 12);
    // Within 7 days listener 1 listened 3 times: 3/7 per day.
    expect(control.listens_per_day.sumY).toBeCloseTo(3 / 7, 12);
    // Within 5 days only tracks 4 and 5 are new.
    expect(control.new_tracks.sumY).toBe(2);
  });
});
