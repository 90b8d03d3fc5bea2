import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { expectedCounts, ingest, startTestSimulator, tableCounts, taskRows, tempLake, testConfig } from "../testing/ingestion";
import type { Simulator } from "../simulator/server";
import { reconcileDataset } from "./reconcile";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let simulator: Simulator | undefined;

beforeAll(async () => {
  lake = await tempLake();
});
afterAll(() => lake.remove());
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
  await database?.drop();
});

/** Row versions: unchanged when a second run rewrites nothing. */
async function rowVersions(db: TestDatabase) {
  const { rows } = await db.pool.query<{ v: string }>(
    `SELECT string_agg(xmin::text, ',' ORDER BY t, id) AS v FROM (
       SELECT 'tracks' AS t, id, xmin FROM tracks UNION ALL SELECT 'users', id, xmin FROM users UNION ALL SELECT 'history', id, xmin FROM listen_history) x`,
  );
  return rows[0]!.v;
}

/** Tracks whose kept listen count differs from a recount of listen_history, and deltas not yet folded. */
async function listenCountErrors(db: TestDatabase) {
  const { rows } = await db.pool.query<{ wrong: string; pending: string }>(
    `SELECT (SELECT count(*) FROM (SELECT item, count(*) AS n FROM listen_history h, unnest(h.items) AS item GROUP BY item) r
               FULL JOIN track_listen_counts c ON c.track_id = r.item
              WHERE coalesce(r.n, 0) <> coalesce(c.listens, 0)) AS wrong,
            (SELECT count(*) FROM track_listen_count_deltas) AS pending`,
  );
  return { wrong: Number(rows[0]!.wrong), pending: Number(rows[0]!.pending) };
}

describe("ingestion of the realistic simulator", () => {
  it("loads exact counts, and a second run inserts and rewrites nothing", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator();
    const config = testConfig(simulator.url, lake.dir);
    const first = await ingest(database, config);
    expect(first.status).toBe("success");
    const expected = expectedCounts(simulator.catalogue);
    expect(await tableCounts(database)).toEqual(expected);
    const tasks = await taskRows(database, first.id);
    expect(tasks.tracks!.rowsInserted).toBe(expected.tracks);
    expect(tasks.users!.rowsInserted).toBe(expected.users);
    expect(tasks.listen_history!.rowsInserted).toBe(expected.listen_history);
    expect(tasks.reconcile!.status).toBe("success");
    expect(first.cpuMs).toBeGreaterThan(0);
    expect(Number(first.peakRssBytes)).toBeGreaterThan(0);

    const before = await rowVersions(database);
    const second = await ingest(database, config);
    expect(second.status).toBe("success");
    const again = await taskRows(database, second.id);
    for (const task of ["tracks", "users", "listen_history"]) {
      expect(again[task]).toMatchObject({ rowsInserted: 0, rowsUpdated: 0, rowsRejected: 0 });
      expect(again[task]!.rowsUnchanged).toBe(again[task]!.rowsFetched);
    }
    expect(await rowVersions(database)).toBe(before);
  });

  it("takes a simulated day: new records are inserted, edited ones updated, the rest untouched", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator();
    const config = testConfig(simulator.url, lake.dir);
    await ingest(database, config);
    const trackTimes = new Map(simulator.catalogue.records.tracks.map((t) => [t.id, t.updated_at]));
    simulator.advance(1);
    const edited = simulator.catalogue.records.tracks.filter((t) => trackTimes.has(t.id) && trackTimes.get(t.id) !== t.updated_at).length;
    const added = simulator.catalogue.records.tracks.length - trackTimes.size;
    const run = await ingest(database, config);
    expect(run.status).toBe("success");
    const tasks = await taskRows(database, run.id);
    expect(tasks.tracks).toMatchObject({ rowsInserted: added, rowsUpdated: edited });
    expect(tasks.listen_history!.rowsInserted + tasks.listen_history!.rowsUpdated).toBeGreaterThan(0);
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
    // The batches' deltas were folded at the end of their task.
    expect(await listenCountErrors(database)).toEqual({ wrong: 0, pending: 0 });
  });

  it("replays a run from the data lake without the source", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator();
    const first = await ingest(database, testConfig(simulator.url, lake.dir));
    const expected = await tableCounts(database);
    await database.pool.query("TRUNCATE listen_history, tracks, users");
    await simulator.close();
    simulator = undefined;
    const replay = await ingest(database, testConfig(undefined, lake.dir), { trigger: "cli", params: { replayOf: first.id } });
    expect(replay.status).toBe("success");
    expect(await tableCounts(database)).toEqual(expected);
  });
});

describe("reconciliation", () => {
  it("fails when a record the run saw is neither in its table nor in quarantine", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator();
    const run = await ingest(database, testConfig(simulator.url, lake.dir));
    const victim = simulator.catalogue.records.tracks[0]!.id;
    await database.pool.query("DELETE FROM tracks WHERE id = $1", [victim]);
    const ctx = {
      database,
      run,
      task: "reconcile",
      tryNumber: 2,
      log: () => {},
      progress: () => {},
      count: () => {},
      detail: () => {},
      signal: new AbortController().signal,
      resource: () => Promise.reject(new Error("reconciliation shares nothing")),
    };
    const result = await reconcileDataset(ctx, "tracks");
    expect(result).toMatchObject({ holds: false, missing: [String(victim)] });
    expect(result.inTable).toBe(result.distinct - 1);

    const history = simulator.catalogue.records.listen_history[5]!;
    await database.pool.query("DELETE FROM listen_history WHERE user_id = $1 AND created_at = $2::timestamptz", [history.user_id, history.created_at]);
    const histories = await reconcileDataset(ctx, "listen_history");
    expect(histories).toMatchObject({ holds: false, missing: [`${history.user_id}@${history.created_at}`] });
    expect(histories.inTable).toBe(histories.distinct - 1);
  });

  it("fails when valid records the run read left no key behind, and keeps only the latest run's keys", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator();
    await ingest(database, testConfig(simulator.url, lake.dir));
    const run = await ingest(database, testConfig(simulator.url, lake.dir));
    const { rows: runs } = await database.pool.query<{ run_id: number }>("SELECT DISTINCT run_id FROM ingest_read_keys");
    expect(runs).toEqual([{ run_id: run.id }]);
    await database.pool.query("UPDATE ingest_read_keys SET ids = ids[4:] WHERE seq = (SELECT min(seq) FROM ingest_read_keys WHERE dataset = 'users')");
    const ctx = {
      database,
      run,
      task: "reconcile",
      tryNumber: 2,
      log: () => {},
      progress: () => {},
      count: () => {},
      detail: () => {},
      signal: new AbortController().signal,
      resource: () => Promise.reject(new Error("reconciliation shares nothing")),
    };
    expect(await reconcileDataset(ctx, "users")).toMatchObject({ holds: false, unrecorded: 3, missing: [] });
    expect(await reconcileDataset(ctx, "tracks")).toMatchObject({ holds: true, unrecorded: 0 });
  });
});

describe("ingestion of the original server's data", () => {
  it("loads cleanly; after a restart with new data the newer updated_at wins, the run fails on the records that vanished, and the next marks them gone", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator("original", 1);
    const lakeDir = lake.dir;
    const first = await ingest(database, testConfig(simulator.url, lakeDir));
    expect(first.status).toBe("success");
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
    const firstTracks = simulator.catalogue.records.tracks;
    await simulator.close();

    simulator = await startTestSimulator("original", 2);
    const second = await ingest(database, testConfig(simulator.url, lakeDir));
    // The restarted server serves none of its earlier records: every dataset trips vanished_records.
    expect(second.status).toBe("failed");
    expect(second.error).toMatch(/vanished_records\(tracks\)/);
    // The failed run hides nothing; the next read agrees with it, passes, and marks them gone.
    expect(await database.db.vanishedRecord.count()).toBe(0);
    const third = await ingest(database, testConfig(simulator.url, lakeDir));
    expect(third.status).toBe("success");
    const served = new Set(simulator.catalogue.records.tracks.map((t) => String(t.id)));
    const gone = await database.db.vanishedRecord.findMany({ where: { dataset: "tracks" } });
    expect(gone.map((v) => v.recordKey).sort()).toEqual([...new Set(firstTracks.map((t) => String(t.id)))].filter((id) => !served.has(id)).sort());
    expect(new Set(gone.map((v) => v.firstMissedRunId))).toEqual(new Set([second.id]));
    // For every id, the row holds the version with the newest updated_at across both servers.
    const newest = new Map<number, number>();
    for (const t of [...firstTracks, ...simulator.catalogue.records.tracks]) {
      newest.set(t.id, Math.max(newest.get(t.id) ?? 0, Date.parse(`${t.updated_at}Z`)));
    }
    const { rows } = await database.pool.query<{ id: number; updated_at: Date }>(`SELECT id, updated_at FROM tracks`);
    expect(rows).toHaveLength(newest.size);
    for (const row of rows) expect(row.updated_at.getTime()).toBe(newest.get(row.id));
    const orphans = (await taskRows(database, second.id)).listen_history!.details as { orphanItems: number };
    expect(orphans.orphanItems).toBeGreaterThan(0);
  });
});
