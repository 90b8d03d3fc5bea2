import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { recordEvents } from "../serving/events";
import { readListener } from "../serving/listener";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { maintainFeedbackPartitions } from "./feedback-partitions";

let database: TestDatabase;
/** The API key that sends the events. */
let KEY: number;
beforeAll(async () => {
  database = await createTestDatabase();
  KEY = (await database.db.apiKey.create({ data: { name: "app", prefix: "ek_1", tokenHash: "h", scopes: ["events:write"], createdBy: "test" } })).id;
  const stamp = new Date();
  await database.db.track.createMany({
    data: [1, 2, 3].map((id) => ({
      id,
      name: `t${id}`,
      artist: "a",
      songwriters: "s",
      duration: "3:00",
      genres: "Rock",
      album: "x",
      createdAt: stamp,
      updatedAt: stamp,
    })),
  });
  await database.db.user.create({
    data: { id: 7, firstName: "f", lastName: "l", email: "7@x", gender: "x", favoriteGenres: "Rock", createdAt: stamp, updatedAt: stamp },
  });
});
afterAll(() => database.drop());
beforeEach(async () => {
  await database.pool.query("TRUNCATE feedback_events, listener_dislikes, experiments CASCADE");
});

const NOW = new Date("2026-12-03T12:00:00Z");
const event = (id: string, at: string, type: "play" | "dislike" = "play", trackId = 1) => ({ id, userId: 7, trackId, type, at });

/** Where each event is stored: its partition's name, by event id. */
async function partitionOf(): Promise<Record<string, string>> {
  const { rows } = await database.pool.query<{ id: string; partition: string }>("SELECT id, tableoid::regclass::text AS partition FROM feedback_events");
  return Object.fromEntries(rows.map((r) => [r.id, r.partition]));
}

describe("feedback events partitioned by month", () => {
  it("land in their month's partition, or in the default one until the task makes their month", async () => {
    await database.pool.query("SELECT feedback_events_partition($1)", [NOW]);
    expect(await recordEvents(database.pool, [event("now", "2026-12-02T10:00:00Z"), event("spring", "2026-04-30T23:59:59.999Z")], KEY)).toEqual({
      accepted: 2,
      duplicates: 0,
    });
    expect(await partitionOf()).toEqual({ now: "feedback_events_2026_12", spring: "feedback_events_default" });

    // The migration made this month and the next two; in March 2031, the task makes March to May.
    const kept = await maintainFeedbackPartitions(database.pool, 3650, new Date("2031-03-15T00:00:00Z"));
    expect(kept.created).toEqual(["feedback_events_2026_04", "feedback_events_2031_03", "feedback_events_2031_04", "feedback_events_2031_05"]);
    expect(kept).toMatchObject({ dropped: [], deletedFromDefault: 0, heldBy: null });
    // The April event moved out of the default partition, at the month's last millisecond.
    expect(await partitionOf()).toEqual({ now: "feedback_events_2026_12", spring: "feedback_events_2026_04" });
  });

  it("drop the months wholly past the kept days, and the default partition's older events; dislikes stay", async () => {
    await database.pool.query("SELECT feedback_events_partition($1)", [new Date("2025-09-10T00:00:00Z")]);
    await recordEvents(
      database.pool,
      [event("sept", "2025-09-10T00:00:00Z", "dislike", 2), event("ancient", "2019-05-01T00:00:00Z", "dislike", 3), event("recent", "2026-11-20T00:00:00Z")],
      KEY,
    );
    // 400 days before NOW is 2025-10-29: September 2025 ends before it, October does not.
    await database.pool.query("SELECT feedback_events_partition($1)", [new Date("2025-10-15T00:00:00Z")]);
    const kept = await maintainFeedbackPartitions(database.pool, 400, NOW);
    expect(kept.cutoff).toEqual(new Date("2025-10-29T12:00:00Z"));
    expect(kept.dropped).toEqual(["feedback_events_2025_09"]);
    expect(kept.deletedFromDefault).toBe(1);
    expect(Object.keys(await partitionOf())).toEqual(["recent"]);
    const { rows } = await database.pool.query("SELECT to_regclass('feedback_events_2025_10') IS NOT NULL AS october");
    expect(rows[0].october).toBe(true);
    expect((await readListener(database.pool, 7, null)).disliked.sort()).toEqual([2, 3]);
  });

  it("keep what an experiment not yet decided may read, however old", async () => {
    await database.pool.query("SELECT feedback_events_partition($1)", [new Date("2025-01-10T00:00:00Z")]);
    await recordEvents(database.pool, [event("old", "2025-01-10T00:00:00Z")], KEY);
    const experiment = {
      name: "e",
      hypothesis: "h",
      seed: "s",
      primaryMetric: "listens",
      createdBy: "test",
      startedAt: new Date("2025-01-20T00:00:00Z"),
    };
    await database.db.experiment.create({ data: { ...experiment, key: "long-runner", status: "stopped" } });
    await database.db.experiment.create({ data: { ...experiment, key: "decided", status: "decided", startedAt: new Date("2024-01-01T00:00:00Z") } });
    const kept = await maintainFeedbackPartitions(database.pool, 30, NOW);
    expect(kept).toMatchObject({ heldBy: "long-runner", cutoff: new Date("2025-01-20T00:00:00Z"), dropped: [] });
    expect(Object.keys(await partitionOf())).toEqual(["old"]);

    await database.db.experiment.update({ where: { key: "long-runner" }, data: { status: "decided" } });
    expect((await maintainFeedbackPartitions(database.pool, 30, NOW)).dropped).toContain("feedback_events_2025_01");
  });

  it("refuse an id the sender stored in another month, and the same id twice in a batch", async () => {
    await database.pool.query("SELECT feedback_events_partition($1)", [new Date("2026-10-01T00:00:00Z")]);
    await recordEvents(database.pool, [event("e-1", "2026-10-01T00:00:00Z")], KEY);
    expect(await recordEvents(database.pool, [event("e-1", "2026-12-01T00:00:00Z"), event("e-2", "2026-12-01T00:00:00Z")], KEY)).toEqual({
      accepted: 1,
      duplicates: 1,
    });
    expect(await recordEvents(database.pool, [event("e-3", "2026-11-01T00:00:00Z"), event("e-3", "2026-12-01T00:00:00Z")], KEY)).toEqual({
      accepted: 1,
      duplicates: 1,
    });
    // Another sender's e-1 (here a console session's) is its own.
    expect(await recordEvents(database.pool, [event("e-1", "2026-12-01T00:00:00Z")], null)).toEqual({ accepted: 1, duplicates: 0 });
    const { rows } = await database.pool.query("SELECT sender, id, at FROM feedback_events ORDER BY sender, id");
    expect(rows.map((r) => `${r.sender}/${r.id}@${r.at.toISOString().slice(0, 10)}`)).toEqual([
      "0/e-1@2026-12-01",
      `${KEY}/e-1@2026-10-01`,
      `${KEY}/e-2@2026-12-01`,
      `${KEY}/e-3@2026-11-01`,
    ]);
  });
});
