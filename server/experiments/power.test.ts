import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { refreshDiscoveries } from "./discoveries";
import { powerEstimate } from "./experiments";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const newest = Date.UTC(2026, 2, 30, 12);
const daysBefore = (d: number, hours = 0) => new Date(newest - d * 86_400_000 - hours * 3_600_000);

describe("the power calculator", () => {
  it("gives listeners active per window of days and the days until enough are exposed", async () => {
    const now = new Date();
    await database.db.user.createMany({
      data: [1, 2, 3, 4, 5].map((id) => ({
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
    // Last listens: listener 1 on the newest day, 2 one day and an hour before it, 3 five days before
    // (and 40 days before, outside the 28), 4 thirty days before (not in reach), 5 also on the newest day.
    await database.db.listenHistory.createMany({
      data: [
        { userId: 1, items: [1, 2], createdAt: daysBefore(0), updatedAt: now },
        { userId: 1, items: [3], createdAt: daysBefore(3), updatedAt: now },
        { userId: 2, items: [1], createdAt: daysBefore(1, 1), updatedAt: now },
        { userId: 3, items: [4, 5, 6], createdAt: daysBefore(5), updatedAt: now },
        { userId: 3, items: [4], createdAt: daysBefore(40), updatedAt: now },
        { userId: 4, items: [7], createdAt: daysBefore(30), updatedAt: now },
        { userId: 5, items: [8, 9, 1, 2], createdAt: daysBefore(0, 2), updatedAt: now },
      ],
    });
    const estimate = await powerEstimate(database, {
      metric: "listens_per_day",
      mde: 0.5,
      alpha: 0.05,
      power: 0.8,
      weights: [1, 1],
      coverage: 1,
      namespaceShare: 1,
    });
    // Active within d days: 1 and 5 for d = 1; 2 (1 day 1 hour before) from d = 2; 3 from d = 6.
    const reach = new Map(estimate.reach.map((r) => [r.days, r.users]));
    expect([1, 2, 5, 6, 28].map((d) => reach.get(d))).toEqual([2, 3, 3, 4, 4]);
    expect(estimate.reach).toHaveLength(28);
    // Baseline over the last 14 days: listens/14 per active listener (3, 1, 3, 4 listens).
    const values = [3, 1, 3, 4].map((n) => n / 14);
    const mean = values.reduce((s, v) => s + v, 0) / 4;
    expect(estimate.mean).toBeCloseTo(mean, 12);
    expect(estimate.sd).toBeCloseTo(Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / 3), 12);
    // New tracks: first listens in the last 14 days (listener 3 first heard track 4 forty days before).
    await refreshDiscoveries(database.pool);
    const discovered = await powerEstimate(database, {
      metric: "new_tracks",
      mde: 0.5,
      alpha: 0.05,
      power: 0.8,
      weights: [1, 1],
      coverage: 1,
      namespaceShare: 1,
    });
    expect(discovered.mean).toBeCloseTo((3 + 1 + 2 + 4) / 4, 12);
    // With a quarter of the traffic (whole listeners only), the first window whose reach covers the users needed.
    const quarter = await powerEstimate(database, {
      metric: "listens_per_day",
      mde: 5,
      alpha: 0.05,
      power: 0.8,
      weights: [1, 1],
      coverage: 0.5,
      namespaceShare: 0.5,
    });
    expect(quarter.reach.find((r) => r.days === 6)!.users).toBe(1);
    const enough = quarter.reach.find((r) => r.users >= quarter.usersNeeded);
    expect(quarter.expectedDays).toBe(enough?.days ?? null);
    // Fewer listeners than needed: how many there are, and how many the allocation reaches.
    expect(estimate).toMatchObject({ expectedDays: null, activeListeners: 4, reachableListeners: 4 });
    expect(estimate.usersNeeded).toBeGreaterThan(4);
    expect(quarter).toMatchObject({ activeListeners: 4, reachableListeners: 1 });
  });
});
