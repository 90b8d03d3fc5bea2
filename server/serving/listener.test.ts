import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { countListens, readListener } from "./listener";

describe("countListens", () => {
  it("gives each track once, ascending, with how many listens it has", () => {
    expect(countListens([30, 7, 30, 2_000_000_000, 7, 30, 1])).toEqual({ trackIds: [1, 7, 30, 2_000_000_000], counts: [1, 2, 3, 1] });
    expect(countListens([])).toEqual({ trackIds: [], counts: [] });
  });
});

describe("readListener", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    const stamp = new Date("2026-11-01T00:00:00Z");
    for (const id of [1, 2])
      await database.db.user.create({
        data: { id, firstName: "f", lastName: "l", email: `${id}@x`, gender: "x", favoriteGenres: "Rock, Jazz", createdAt: stamp, updatedAt: stamp },
      });
    // Listens over several rows (as the source sends them: one history a session), a track heard in more than one, an empty row.
    await database.db.listenHistory.createMany({
      data: [
        { userId: 1, items: [5, 3, 5], createdAt: stamp, updatedAt: stamp },
        { userId: 1, items: [9, 3], createdAt: new Date("2026-11-02T00:00:00Z"), updatedAt: stamp },
        { userId: 1, items: [], createdAt: new Date("2026-11-02T12:00:00Z"), updatedAt: stamp },
        { userId: 1, items: [3], createdAt: new Date("2026-11-03T00:00:00Z"), updatedAt: stamp },
        { userId: 2, items: [], createdAt: stamp, updatedAt: stamp },
      ],
    });
  });
  afterAll(() => database.drop());

  it("counts every listen of every history row by track", async () => {
    const listener = await readListener(database.pool, 1, null);
    expect(listener).toMatchObject({ known: true, favouriteGenres: ["Rock", "Jazz"], heard: { trackIds: [3, 5, 9], counts: [3, 2, 1] }, batch: null });
  });

  it("reads a listener with an empty history, and an unknown one, as having heard nothing", async () => {
    expect((await readListener(database.pool, 2, null)).heard).toEqual({ trackIds: [], counts: [] });
    expect(await readListener(database.pool, 99, null)).toMatchObject({ known: false, heard: { trackIds: [], counts: [] } });
  });
});
