import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { seedRun } from "../testing/ledger";
import { copyLine, loadBatch, OpenBatch } from "./load";
import type { Dataset, LoadedRecord } from "./records";

let database: TestDatabase;
let runId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  runId = (await seedRun(database.db, { status: "running" })).id;
});
afterAll(() => database.drop());

const copyText = <D extends Dataset>(dataset: D, records: LoadedRecord<D>[]) => [Buffer.from(records.map((r) => copyLine(dataset, r)).join(""))];
const load = <D extends Dataset>(dataset: D, records: LoadedRecord<D>[]) => loadBatch(database.pool, runId, dataset, copyText(dataset, records), []);

const track = (id: number, updatedAt: string, name = `track ${id}`): LoadedRecord<"tracks"> => ({
  id,
  name,
  artist: "artist",
  songwriters: "writer",
  duration: "03:30",
  genres: "Pop",
  album: "album",
  created_at: "2025-01-01T00:00:00",
  updated_at: updatedAt,
});

describe("loading a batch", () => {
  it("reads the source's zone-less timestamps as UTC, microseconds kept, and honours an explicit offset", async () => {
    await load("tracks", [track(1, "2025-07-08T16:23:29"), track(2, "2025-07-08T16:23:29.123456"), track(3, "2025-07-08T16:23:29+02:00")]);
    const { rows } = await database.pool.query<{ id: number; at: string }>(
      `SELECT id, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at FROM tracks WHERE id <= 3 ORDER BY id`,
    );
    expect(rows.map((r) => r.at)).toEqual(["2025-07-08T16:23:29.000000", "2025-07-08T16:23:29.123456", "2025-07-08T14:23:29.000000"]);
  });

  it("keeps tabs, line breaks, backslashes and characters beyond the BMP in text exactly", async () => {
    const name = "a\tb\nc\r\\d \\N é 🎵";
    await load("tracks", [track(10, "2025-07-08T16:23:29", name)]);
    const { rows } = await database.pool.query<{ name: string }>("SELECT name FROM tracks WHERE id = 10");
    expect(rows[0]!.name).toBe(name);
  });

  it("keeps the newest version of a key that comes twice in one batch, and rewrites a row only for a newer updated_at", async () => {
    const result = await load("tracks", [track(20, "2025-03-01T00:00:00", "newer"), track(20, "2025-02-01T00:00:00", "older")]);
    expect(result).toEqual({ inserted: 1, updated: 0, unchanged: 1, backwards: 0, quarantined: 0 });
    expect(await load("tracks", [track(20, "2025-02-15T00:00:00", "stale")])).toEqual({ inserted: 0, updated: 0, unchanged: 1, backwards: 1, quarantined: 0 });
    expect(await load("tracks", [track(20, "2025-04-01T00:00:00", "newest")])).toEqual({ inserted: 0, updated: 1, unchanged: 0, backwards: 0, quarantined: 0 });
    const { rows } = await database.pool.query<{ name: string }>("SELECT name FROM tracks WHERE id = 20");
    expect(rows[0]!.name).toBe("newest");
  });

  it("rolls back the whole batch when one record cannot be stored", async () => {
    const before = await database.pool.query("SELECT count(*)::int AS n FROM tracks");
    const broken = [...copyText("tracks", [track(30, "2025-01-01T00:00:00")]), Buffer.from("31\tonly two fields\n")];
    await expect(loadBatch(database.pool, runId, "tracks", broken, [{ reasonCode: "invalid", reason: "test", key: "x", payload: {} }])).rejects.toThrow();
    const after = await database.pool.query("SELECT count(*)::int AS n FROM tracks");
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect(await database.db.quarantinedRecord.count({ where: { runId, reasonCode: "invalid" } })).toBe(0);
  });

  it("streams a batch page by page into one transaction: committed whole, or given up leaving nothing and no connection held", async () => {
    const count = async () => (await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM tracks WHERE id BETWEEN 100 AND 199")).rows[0]!.n;
    const held = () => database.pool.totalCount - database.pool.idleCount;
    const pages = [0, 1, 2, 3].map(
      (p) =>
        copyText(
          "tracks",
          Array.from({ length: 10 }, (_, i) => track(100 + p * 10 + i, "2025-01-01T00:00:00")),
        )[0]!,
    );
    const given = new OpenBatch(database.pool, "tracks");
    for (const page of pages.slice(0, 2)) given.write(page);
    await given.drained();
    await given.abandon();
    expect(await count()).toBe(0);
    expect(held()).toBe(0);

    const batch = new OpenBatch(database.pool, "tracks");
    for (const page of pages) {
      batch.write(page);
      await batch.drained();
      // Nothing is visible before the batch commits.
      expect(await count()).toBe(0);
    }
    batch.reject({ reasonCode: "invalid", reason: "streamed", key: "x", payload: {} });
    expect(await batch.commit(runId)).toEqual({ inserted: 40, updated: 0, unchanged: 0, backwards: 0, quarantined: 1 });
    expect(await count()).toBe(40);
    expect(held()).toBe(0);
  });

  it("lets many pages wait on a batch the connection is behind on, with one set of listeners on its stream", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const batch = new OpenBatch(database.pool, "tracks");
      const page = Buffer.concat(
        copyText(
          "tracks",
          Array.from({ length: 2000 }, (_, i) => track(1000 + i, "2025-01-01T00:00:00")),
        ),
      );
      expect(batch.write(page)).toBe(false);
      await Promise.all(Array.from({ length: 20 }, () => batch.drained()));
      await batch.abandon();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });
});
