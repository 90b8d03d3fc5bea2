import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { Random } from "../lib/random";
import { deferListenCounts, foldListenCounts } from "./listen-counts";
import { createTestDatabase, type TestDatabase } from "../testing/database";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool.query(
    `INSERT INTO users (id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at)
     SELECT g, 'a', 'b', g || '@x', 'f', 'Rock', now(), now() FROM generate_series(1, 20) g`,
  );
});
afterAll(() => database?.drop());

/** What the counts must be: every item of every history, counted again. */
const recount = async () =>
  (
    await database.pool.query<{ id: number; n: string }>(
      "SELECT item AS id, count(*)::text AS n FROM listen_history h, unnest(h.items) AS item GROUP BY item ORDER BY item",
    )
  ).rows.map((r) => [r.id, Number(r.n)]);
const kept = async () =>
  (
    await database.pool.query<{ id: number; n: string }>(
      "SELECT track_id AS id, listens::text AS n FROM track_listen_counts WHERE listens <> 0 ORDER BY track_id",
    )
  ).rows.map((r) => [r.id, Number(r.n)]);

const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();

/** A round of changes: the load's own statement shape (many rows, some new, some replacing items), an update and a delete. */
async function changeHistories(client: pg.Pool | pg.ClientBase, random: Random, round: number) {
  const items = () => `{${Array.from({ length: random.int(0, 6) }, () => random.int(1, 30)).join(",")}}`;
  const values = Array.from(
    { length: 25 },
    () => `(${random.int(1, 20)}, '${items()}'::int[], '${day(random.int(1, 10))}'::timestamptz, '${day(11 + round)}'::timestamptz)`,
  );
  await client.query(
    `INSERT INTO listen_history AS h (user_id, items, created_at, updated_at)
     SELECT DISTINCT ON (user_id, created_at) * FROM (VALUES ${values.join(",")}) v(user_id, items, created_at, updated_at)
     ON CONFLICT (user_id, created_at) DO UPDATE SET items = EXCLUDED.items, updated_at = EXCLUDED.updated_at
     WHERE h.updated_at < EXCLUDED.updated_at`,
  );
  await client.query("UPDATE listen_history SET items = items || $1::int WHERE user_id = $2", [random.int(1, 30), random.int(1, 20)]);
  await client.query("DELETE FROM listen_history WHERE user_id = $1 AND created_at = $2", [random.int(1, 20), day(random.int(1, 10))]);
}

describe("listens per track, kept by triggers on listen_history", () => {
  it("equal a recount after inserts, upserts as the load does them, updates, deletes and a listener's cascade", async () => {
    const random = new Random(3);
    for (let round = 0; round < 8; round++) {
      await changeHistories(database.pool, random, round);
      expect(await kept()).toEqual(await recount());
    }
    await database.pool.query("DELETE FROM users WHERE id <= 5");
    expect(await kept()).toEqual(await recount());
    expect((await recount()).length).toBeGreaterThan(10);
  });

  it("when deferred, wait in the deltas until a fold, which makes them equal a recount again", async () => {
    const random = new Random(5);
    // The listeners the first case's cascade removed, back.
    await database.pool.query(
      `INSERT INTO users (id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at)
       SELECT g, 'a', 'b', g || '@x', 'f', 'Rock', now(), now() FROM generate_series(1, 5) g`,
    );
    const before = await kept();
    const client = await database.pool.connect();
    try {
      for (let round = 0; round < 4; round++) {
        await client.query("BEGIN");
        await deferListenCounts(client);
        await changeHistories(client, random, 20 + round);
        await client.query("COMMIT");
      }
    } finally {
      client.release();
    }
    expect(await recount()).not.toEqual(before);
    expect(await kept()).toEqual(before);
    expect(await foldListenCounts(database.pool)).toBeGreaterThan(0);
    expect(await kept()).toEqual(await recount());
    expect(await foldListenCounts(database.pool)).toBe(0);
    // The setting ends with its transaction: the next write counts at once.
    await changeHistories(database.pool, random, 30);
    expect(await kept()).toEqual(await recount());
  });
});
