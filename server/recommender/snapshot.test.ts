import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { readSnapshot } from "./snapshot";

let database: TestDatabase;
const day = (d: number) => new Date(Date.UTC(2026, 10, d));

beforeAll(async () => {
  database = await createTestDatabase();
  const { pool } = database;
  await pool.query(
    `INSERT INTO tracks (id, name, artist, songwriters, duration, genres, album, created_at, updated_at)
     SELECT g, 'T' || g, 'A', '', '3:00', 'Rock', 'X', now(), now() FROM generate_series(1, 6) g`,
  );
  await pool.query(
    `INSERT INTO users (id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at)
     VALUES (10, 'a', 'b', 'a@x', 'f', 'Rock', now(), now()), (20, 'c', 'd', 'c@x', 'm', 'Pop', now(), now())`,
  );
  // Listener 10: three records (two, two and one listens); listener 20: one listen, long ago.
  const histories: [number, number[], Date][] = [
    [10, [1, 2], day(1)],
    [10, [3, 4], day(2)],
    [10, [5], day(3)],
    [20, [6], day(1)],
  ];
  for (const [user, items, at] of histories)
    await pool.query("INSERT INTO listen_history (user_id, items, created_at, updated_at) VALUES ($1, $2, $3, $3)", [user, items, at]);
});

afterAll(() => database?.drop());

const listens = (s: Awaited<ReturnType<typeof readSnapshot>>["snapshot"]) =>
  Array.from(s.listenUser, (u, i) => [s.userIds[u], s.trackIds[s.listenTrack[i]!], s.listenTime[i]]);

describe("a snapshot bounded to each listener's most recent listens", () => {
  it("keeps everything when no listener passes the bound, oldest first", async () => {
    const { snapshot, leftOut } = await readSnapshot(database, { listensPerUser: 10 });
    expect(listens(snapshot)).toEqual([
      [10, 1, +day(1)],
      [10, 2, +day(1)],
      [10, 3, +day(2)],
      [10, 4, +day(2)],
      [10, 5, +day(3)],
      [20, 6, +day(1)],
    ]);
    expect(leftOut).toBe(0);
  });

  it("reads the newest records whole and cuts the boundary one to its last items", async () => {
    const { snapshot, leftOut } = await readSnapshot(database, { listensPerUser: 4 });
    expect(listens(snapshot)).toEqual([
      [10, 2, +day(1)],
      [10, 3, +day(2)],
      [10, 4, +day(2)],
      [10, 5, +day(3)],
      [20, 6, +day(1)],
    ]);
    expect(leftOut).toBe(1);
  });

  it("keeps a quiet listener whatever the bound", async () => {
    const { snapshot, leftOut } = await readSnapshot(database, { listensPerUser: 1 });
    expect(listens(snapshot)).toEqual([
      [10, 5, +day(3)],
      [20, 6, +day(1)],
    ]);
    expect(Array.from(snapshot.userIds)).toEqual([10, 20]);
    expect(leftOut).toBe(4);
  });
});
