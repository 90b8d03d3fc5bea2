import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { IdSet } from "./id-set";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("IdSet", () => {
  it("holds exactly the table's ids, read over several pages", async () => {
    const ids = [-5, 1, 2, 3, 7, 100, 2_147_483_647];
    await database.pool.query(
      `INSERT INTO tracks (id, name, artist, songwriters, duration, genres, album, created_at, updated_at)
       SELECT id, 'n', 'a', 's', '03:00', 'g', 'al', now(), now() FROM unnest($1::int[]) AS id`,
      [ids],
    );
    for (const page of [2, 3, 7, 100]) {
      const set = await IdSet.of(database.pool, "tracks", page);
      for (const id of ids) expect(set.has(id)).toBe(true);
      for (const id of [-6, 0, 4, 8, 99, 101, -2_147_483_648]) expect(set.has(id)).toBe(false);
    }
  });

  it("is empty for an empty table", async () => {
    const set = await IdSet.of(database.pool, "users", 2);
    expect(set.has(1)).toBe(false);
  });
});

describe("IdSet at size", () => {
  it("holds every id of a large table and no other, through its growth", async () => {
    // Ids with a common stride collide most under a poor hash; 0 and the extremes are kept apart.
    const ids = [0, -2_147_483_648, 2_147_483_647, ...Array.from({ length: 50_000 }, (_, i) => (i + 1) * 1024)];
    await database.pool.query(
      `INSERT INTO users (id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at)
       SELECT id, 'f', 'l', 'e', 'g', 'fg', now(), now() FROM unnest($1::int[]) AS id`,
      [ids],
    );
    const set = await IdSet.of(database.pool, "users", 4096);
    for (const id of ids) expect(set.has(id)).toBe(true);
    for (let i = 1; i <= 50_000; i++) expect(set.has(i * 1024 + 1)).toBe(false);
    expect(set.has(-1)).toBe(false);
    await database.pool.query("DELETE FROM users");
  });
});
