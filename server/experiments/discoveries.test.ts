import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrate } from "../db/migrations";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { refreshDiscoveries } from "./discoveries";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const now = new Date();
  await database.db.user.createMany({
    data: Array.from({ length: 20 }, (_, i) => ({
      id: i + 1,
      firstName: "f",
      lastName: "l",
      email: `${i + 1}@x`,
      gender: "x",
      favoriteGenres: "Rock",
      createdAt: now,
      updatedAt: now,
    })),
  });
});
afterAll(() => database.drop());
beforeEach(() => database.pool.query("TRUNCATE listen_history, discoveries, watermarks"));

const day = (d: number) => new Date(Date.UTC(2026, 0, d));

/**
 * What the load does: a new day inserted, a known day's items replaced (both stamp `loaded_at`).
 * Here an edit keeps the day's items and adds to them: a listen the source withdraws stays heard.
 */
const load = (userId: number, d: number, items: number[]) =>
  database.pool.query(
    `INSERT INTO listen_history (user_id, items, created_at, updated_at) VALUES ($1, $2, $3, $3)
     ON CONFLICT (user_id, created_at) DO UPDATE SET items = listen_history.items || EXCLUDED.items, loaded_at = now()`,
    [userId, items, day(d)],
  );

async function derived() {
  const { rows: heard } = await database.pool.query<{ user_id: number; track_id: number; day: number }>(
    "SELECT user_id, track_id, extract(day FROM heard_on)::int AS day FROM discoveries, unnest(track_ids) AS track_id ORDER BY 1, 2",
  );
  const { rows: found } = await database.pool.query<{ user_id: number; day: number; track_ids: number[] }>(
    "SELECT user_id, extract(day FROM heard_on)::int AS day, track_ids FROM discoveries ORDER BY 1, 2",
  );
  return { heard, found: found.map((r) => ({ ...r, track_ids: [...r.track_ids].sort((a, b) => a - b) })) };
}

/** The same tables derived from the whole of `listen_history` at once. */
async function fromScratch() {
  const { rows: heard } = await database.pool.query<{ user_id: number; track_id: number; day: number }>(
    `SELECT h.user_id, item AS track_id, extract(day FROM min(h.created_at))::int AS day
       FROM listen_history h, unnest(h.items) AS item GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const byDay = new Map<string, { user_id: number; day: number; track_ids: number[] }>();
  for (const h of heard) {
    const key = `${h.user_id}/${h.day}`;
    if (!byDay.has(key)) byDay.set(key, { user_id: h.user_id, day: h.day, track_ids: [] });
    byDay.get(key)!.track_ids.push(h.track_id);
  }
  return { heard, found: [...byDay.values()].sort((a, b) => a.user_id - b.user_id || a.day - b.day) };
}

describe("discoveries: first listens followed from the load", () => {
  it("moves a first listen earlier when a late day arrives, and adds what an edited day adds", async () => {
    await load(1, 5, [1, 2]);
    expect(await refreshDiscoveries(database.pool)).toMatchObject({ rows: 1, firstListens: 2 });
    expect((await derived()).found).toEqual([{ user_id: 1, day: 5, track_ids: [1, 2] }]);

    // A day before: track 2 was first heard on the 3rd, track 3 is new; the 5th keeps track 1 only.
    await load(1, 3, [2, 3]);
    expect(await refreshDiscoveries(database.pool)).toMatchObject({ rows: 1, firstListens: 2 });
    expect((await derived()).found).toEqual([
      { user_id: 1, day: 3, track_ids: [2, 3] },
      { user_id: 1, day: 5, track_ids: [1] },
    ]);

    // The 5th edited: track 4 added. Nothing new since: a refresh changes nothing. (It may read the
    // row again: a transaction open elsewhere, autovacuum's say, holds the watermark back.)
    await load(1, 5, [4]);
    expect(await refreshDiscoveries(database.pool)).toMatchObject({ rows: 1, firstListens: 1 });
    const before = await derived();
    expect(await refreshDiscoveries(database.pool)).toMatchObject({ firstListens: 0 });
    expect(await derived()).toEqual(before);
    expect(before).toEqual(await fromScratch());

    // A late day that holds the 5th's only discovery empties it: the row goes. The newest day stays the 5th.
    await load(1, 1, [1]);
    expect((await refreshDiscoveries(database.pool)).newestListen).toEqual(day(5));
    expect((await derived()).found.map((r) => r.day)).toEqual([1, 3, 5]);
    await load(1, 2, [4]);
    await refreshDiscoveries(database.pool);
    expect((await derived()).found.map((r) => r.day)).toEqual([1, 2, 3]);
    expect(await derived()).toEqual(await fromScratch());
  });

  it("misses no row of a load that commits after a refresh began", async () => {
    const loading = await database.pool.connect();
    try {
      await loading.query("BEGIN");
      await loading.query("INSERT INTO listen_history (user_id, items, created_at, updated_at) VALUES (2, '{7}', $1, $1)", [day(4)]);
      // The refresh cannot see the uncommitted row; its watermark stays before the load's start.
      expect(await refreshDiscoveries(database.pool)).toMatchObject({ rows: 0, firstListens: 0 });
      await loading.query("COMMIT");
    } finally {
      loading.release();
    }
    expect(await refreshDiscoveries(database.pool)).toMatchObject({ rows: 1, firstListens: 1 });
    expect((await derived()).found).toEqual([{ user_id: 2, day: 4, track_ids: [7] }]);
  });

  it("after any sequence of loads and refreshes, equals the tables derived from scratch", async () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const pick = (n: number) => 1 + Math.floor(random() * n);
    for (let round = 0; round < 12; round++) {
      // New days, late days and edits of known days, for a few listeners at a time.
      for (let i = 0; i < 15; i++)
        await load(
          pick(20),
          pick(28),
          Array.from({ length: pick(6) }, () => pick(30)),
        );
      if (random() < 0.7) await refreshDiscoveries(database.pool);
    }
    await refreshDiscoveries(database.pool);
    const expected = await fromScratch();
    expect(expected.heard.length).toBeGreaterThan(100);
    expect(await derived()).toEqual(expected);
  });
});

describe("migration 20261202163000_discoveries_alone", () => {
  it("keeps the discoveries followed with heard_tracks, and the refresh goes on from them", async () => {
    const older = await createTestDatabase({ migrated: false });
    const before = await mkdtemp(path.join(os.tmpdir(), "encore-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, before, { recursive: true });
      await rm(path.join(before, "20261202163000_discoveries_alone"), { recursive: true });
      await migrate(older.url, before);
      // What the refresh kept before: both tables derived from the history, the watermark past it.
      await older.pool.query("INSERT INTO users SELECT g, 'f', 'l', g || '@x', 'x', 'Rock', now(), now() FROM generate_series(1, 3) g");
      await older.pool.query(
        `INSERT INTO listen_history (user_id, items, created_at, updated_at)
         VALUES (1, '{1,2}', $1, $1), (1, '{2,3}', $2, $2), (2, '{4}', $2, $2)`,
        [day(3), day(5)],
      );
      await older.pool.query(
        `INSERT INTO heard_tracks SELECT h.user_id, item, min(h.created_at) FROM listen_history h, unnest(h.items) AS item GROUP BY 1, 2;
         INSERT INTO discoveries SELECT user_id, first_heard_at, array_agg(track_id ORDER BY track_id) FROM heard_tracks GROUP BY 1, 2;
         INSERT INTO watermarks VALUES ('discoveries', now()), ('newest_listen', '2026-01-05')`,
      );
      await migrate(older.url);
      const { rows: tables } = await older.pool.query("SELECT to_regclass('heard_tracks') AS heard_tracks");
      expect(tables).toEqual([{ heard_tracks: null }]);
      // A late day moves track 2 earlier for listener 1; listener 3 is new.
      await older.pool.query(`INSERT INTO listen_history (user_id, items, created_at, updated_at) VALUES (1, '{2,5}', $1, $1), (3, '{1}', $2, $2)`, [
        day(1),
        day(6),
      ]);
      expect(await refreshDiscoveries(older.pool)).toMatchObject({ rows: 2, firstListens: 3, newestListen: day(6) });
      const { rows: found } = await older.pool.query<{ user_id: number; day: number; track_ids: number[] }>(
        "SELECT user_id, extract(day FROM heard_on)::int AS day, track_ids FROM discoveries ORDER BY 1, 2",
      );
      expect(found).toEqual([
        { user_id: 1, day: 1, track_ids: [2, 5] },
        { user_id: 1, day: 3, track_ids: [1] },
        { user_id: 1, day: 5, track_ids: [3] },
        { user_id: 2, day: 5, track_ids: [4] },
        { user_id: 3, day: 6, track_ids: [1] },
      ]);
    } finally {
      await rm(before, { recursive: true, force: true });
      await older.drop();
    }
  });
});
