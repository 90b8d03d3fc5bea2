import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, reconciliationOf, taskRows, tempLake, testConfig } from "../testing/ingestion";
import { startScriptedSource, validHistory, validTrack, validUser, type ScriptedSource } from "../testing/scripted-source";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let source: ScriptedSource;

beforeAll(async () => {
  lake = await tempLake();
});
afterAll(() => lake.remove());
afterEach(async () => {
  await source?.close();
  await database?.drop();
});

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** A track/user whose one text field is replaced by raw JSON text (escapes kept as the source sends them). */
const withField = (record: string, field: string, rawJsonValue: string) => {
  const parsed = JSON.parse(record) as Record<string, unknown>;
  return JSON.stringify(parsed).replace(`"${field}":${JSON.stringify(parsed[field])}`, `"${field}":${rawJsonValue}`);
};

const TRACK_TEXT = ["name", "artist", "songwriters", "duration", "genres", "album", "created_at", "updated_at"];
const USER_TEXT = ["first_name", "last_name", "email", "gender", "favorite_genres", "created_at", "updated_at"];
const HOSTILE_TEXT = [String.raw`"nul\u0000byte"`, String.raw`"half \ud800 pair"`, String.raw`"\udfff"`];

async function quarantined(dataset: string) {
  const { rows } = await database.pool.query<{ record_key: string | null; reason: string; payload: string }>(
    `SELECT record_key, reason, payload FROM quarantine WHERE dataset = $1 ORDER BY id`,
    [dataset],
  );
  return rows;
}

describe("whatever bytes the source sends, each record is loaded or quarantined losslessly, and its neighbours load", () => {
  it("NUL, half surrogate pairs, nulls, non-objects, out-of-range items and a 1 MB string", async () => {
    const hostileTracks = [
      ...TRACK_TEXT.flatMap((field, f) => HOSTILE_TEXT.map((value, v) => withField(validTrack(5000 + f * 10 + v), field, value))),
      String.raw`{"id":"51\u000001","name":"n"}`,
      "null",
      "42",
      '"a string record"',
      "[1,2,3]",
      withField(validTrack(5101), "name", JSON.stringify("x".repeat(1_000_000))),
    ];
    // An unknown field whose name holds NUL or half a pair: the record is valid and loads; the name is counted, escaped.
    const oddKeys = [
      validTrack(5100).replace("{", String.raw`{"na\u0000me":"x",`),
      validTrack(5200).replace("{", String.raw`{"x\u0000y":1,`),
      validTrack(5201).replace("{", String.raw`{"\ud800":1,`),
    ];
    const hostileUsers = USER_TEXT.flatMap((field, f) => HOSTILE_TEXT.map((value, v) => withField(validUser(5000 + f * 10 + v), field, value)));
    const hostileHistories = [
      validHistory(1, [1, 2]).replace("[1,2]", "[1,null,2]"),
      validHistory(2, [1, 2]).replace("[1,2]", `[1,"7",2]`),
      validHistory(3, [1, 2]).replace("[1,2]", "[1,1.5,2]"),
      validHistory(4, [1, 2]).replace("[1,2]", "[1,2147483648,2]"),
      validHistory(5, [1, 2]).replace("[1,2]", "[1,99999999999999999999,2]"),
      validHistory(6, [1, 2]).replace(`"user_id":6`, `"user_id":2147483648`),
      "null",
    ];
    const tracks = [
      validTrack(2500),
      hostileTracks[0]!,
      validTrack(2502),
      ...range(1, 1000).map((id) => validTrack(id)),
      ...hostileTracks.slice(1),
      ...oddKeys,
    ];
    const users = [...range(1, 1000).map((id) => validUser(id)), ...hostileUsers];
    const histories = [...range(1, 600).map((id) => validHistory(id, [id, id + 1])), ...hostileHistories];
    source = await startScriptedSource({ tracks, users, listen_history: histories });
    database = await createTestDatabase();

    const run = await ingest(database, testConfig(source.url, lake.dir));
    expect(run.error).toBeNull();
    expect(run.status).toBe("success");

    // The neighbours of the first bad record, and every valid record, are loaded.
    const { rows } = await database.pool.query<{ id: number }>(`SELECT id FROM tracks WHERE id IN (2500, 2502, 1000, 5100, 5200, 5201) ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual([1000, 2500, 2502, 5100, 5200, 5201]);
    expect(await database.db.user.count()).toBe(1000);
    expect(await database.db.listenHistory.count()).toBe(600);

    // Every bad record is in quarantine, and its payload reads back to exactly what the source sent.
    for (const [dataset, sent] of [
      ["tracks", hostileTracks],
      ["users", hostileUsers],
      ["listen_history", hostileHistories],
    ] as const) {
      const stored = await quarantined(dataset);
      expect(stored.map((q) => JSON.parse(q.payload) as unknown)).toEqual(sent.map((raw) => JSON.parse(raw) as unknown));
      for (const q of stored) expect(q.reason).not.toBe("");
    }
    const tracksQuarantine = await quarantined("tracks");
    expect(tracksQuarantine[0]!.reason).toMatch(/name: contains a NUL character/);
    expect(tracksQuarantine.find((q) => q.payload.startsWith(String.raw`{"id":"51\u000001"`))!.record_key).toBe(String.raw`51\u000001`);
    expect((await quarantined("listen_history"))[0]!.reason).toMatch(/items\.1/);

    const tasks = await taskRows(database, run.id);
    expect((tasks.tracks!.details as { unknownFields: Record<string, number> }).unknownFields).toEqual({ "na\\u0000me": 1, "x\\u0000y": 1, "\\ud800": 1 });
  });
});

describe("timestamps the world cannot have yet", () => {
  it("a record dated in year 9999 is quarantined with its reason, so later updates of it still load and freshness stays measured", async () => {
    const pinned = JSON.stringify({ ...(JSON.parse(validTrack(7)) as object), updated_at: "9999-12-31T23:59:59" });
    const tomorrowAndMore = JSON.stringify({
      ...(JSON.parse(validTrack(8)) as object),
      created_at: new Date(Date.now() + 25 * 3_600_000).toISOString().slice(0, 19),
    });
    // 2 of 102: required_fields only warns.
    source = await startScriptedSource({
      tracks: [...range(10, 100).map((id) => validTrack(id)), pinned, tomorrowAndMore],
      users: [validUser(1)],
      listen_history: [validHistory(1, [1])],
    });
    database = await createTestDatabase();
    const config = testConfig(source.url, lake.dir);
    const first = await ingest(database, config);
    expect(first.error).toBeNull();
    expect(await database.db.track.count()).toBe(100);
    const reasons = (await quarantined("tracks")).map((q) => [q.record_key, q.reason]);
    expect(reasons).toEqual([
      ["7", expect.stringMatching(/^updated_at: 9999-12-31T23:59:59 is more than 24 h after the read began \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/)],
      ["8", expect.stringMatching(/^created_at: \S+ is more than 24 h after the read began/)],
    ]);
    const freshness = await database.db.checkResult.findFirstOrThrow({ where: { runId: first.id, check: "freshness", dataset: "tracks" } });
    expect(freshness.level).toBe("ok");
    expect(freshness.message).toMatch(/h old/);

    // The source corrects the record: its update loads.
    source.set("tracks", [...range(10, 100).map((id) => validTrack(id)), validTrack(7, 5)]);
    expect((await ingest(database, config)).status).toBe("success");
    const stored = await database.db.track.findUniqueOrThrow({ where: { id: 7 } });
    expect(stored.updatedAt.toISOString().slice(0, 19)).toBe(JSON.parse(validTrack(7, 5)).updated_at);
  });
});

describe("a source that misreports how much it holds", () => {
  const reconciliation = (runId: number) => reconciliationOf(database, runId);

  it("understated `pages`: every page up to `total` is read", async () => {
    source = await startScriptedSource({ tracks: range(1, 250).map((id) => validTrack(id)), users: [validUser(1)], listen_history: [validHistory(1, [1])] });
    source.lie("tracks", ({ total }) => ({ total, pages: 1 }));
    database = await createTestDatabase();
    const run = await ingest(database, testConfig(source.url, lake.dir));
    expect(run.error).toBeNull();
    expect(await database.db.track.count()).toBe(250);
    expect((await reconciliation(run.id)).tracks!.source).toEqual({ total: 250, fetched: 250 });
  });

  it("understated `total` and `pages`: full pages are followed until one comes back short", async () => {
    source = await startScriptedSource({ tracks: range(1, 250).map((id) => validTrack(id)), users: [validUser(1)], listen_history: [validHistory(1, [1])] });
    source.lie("tracks", () => ({ total: 100, pages: 1 }));
    database = await createTestDatabase();
    const run = await ingest(database, testConfig(source.url, lake.dir));
    expect(run.error).toBeNull();
    expect(await database.db.track.count()).toBe(250);
  });

  it("a `total` the pages never reach fails reconciliation with the numbers", async () => {
    source = await startScriptedSource({ tracks: range(1, 150).map((id) => validTrack(id)), users: [validUser(1)], listen_history: [validHistory(1, [1])] });
    source.lie("tracks", () => ({ total: 250, pages: 3 }));
    database = await createTestDatabase();
    const run = await ingest(database, testConfig(source.url, lake.dir));
    expect(run.status).toBe("failed");
    expect(run.error).toContain("tracks: the source said it holds 250 records, 150 were fetched");
    expect((await reconciliation(run.id)).tracks).toMatchObject({ shortfall: 100, holds: false });
  });

  it("a `total` far past the data: reading stops after 3 empty pages in a row, and the run fails with the numbers", async () => {
    source = await startScriptedSource({ tracks: range(1, 500).map((id) => validTrack(id)), users: [validUser(1)], listen_history: [validHistory(1, [1])] });
    source.lie("tracks", () => ({ total: 10_000_000, pages: 100_000 }));
    database = await createTestDatabase();
    const run = await ingest(database, testConfig(source.url, lake.dir));
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(
      /tracks: the source said it holds 10000000 records in 100000 pages, but pages \d+–\d+ came back empty after \d+ records; stopped reading after \d+ of the 100000 pages/,
    );
    // 5 pages of data, 3 empty ones, and what the other workers had in flight.
    expect(source.requests.filter((r) => r.dataset === "tracks").length).toBeLessThan(20);
  });
});

describe("records that vanish from the source", () => {
  const levels = async (runId: number, check: string) =>
    Object.fromEntries((await database.db.checkResult.findMany({ where: { runId, check } })).map((c) => [c.dataset, c.level]));
  const gone = async (dataset: string) =>
    (await database.db.vanishedRecord.findMany({ where: { dataset }, orderBy: { recordKey: "asc" } })).map((v) => [v.recordKey, v.firstMissedRunId]);

  it("are kept and marked gone with the run that first missed them, back when they return; the check warns past 1%, fails past 20%", async () => {
    const tracks = range(1, 200).map((id) => validTrack(id));
    const users = range(1, 200).map((id) => validUser(id));
    const histories = range(1, 200).map((id) => validHistory(id, [id]));
    source = await startScriptedSource({ tracks, users, listen_history: histories });
    database = await createTestDatabase();
    const config = testConfig(source.url, lake.dir);

    const first = await ingest(database, config);
    expect(first.status).toBe("success");
    expect(await levels(first.id, "vanished_records")).toEqual({ tracks: "ok", users: "ok", listen_history: "ok" });

    // 4 tracks (2%) and 1 history stop being served.
    source.set("tracks", tracks.slice(4));
    source.set("listen_history", histories.slice(1));
    const second = await ingest(database, config);
    expect(second.status).toBe("success");
    expect(await levels(second.id, "vanished_records")).toEqual({ tracks: "warn", users: "ok", listen_history: "ok" });
    expect(await database.db.track.count()).toBe(200);
    expect(await gone("tracks")).toEqual([
      ["1", second.id],
      ["2", second.id],
      ["3", second.id],
      ["4", second.id],
    ]);
    const [historyKey] = await gone("listen_history");
    expect(historyKey![0]).toBe(`1@${JSON.parse(histories[0]!).created_at}.000000`);

    // Two come back; nothing new vanishes, so the check is ok, and the others stay gone since the second run.
    source.set("tracks", [...tracks.slice(0, 2), ...tracks.slice(4)]);
    const third = await ingest(database, config);
    expect(third.status).toBe("success");
    expect(await levels(third.id, "vanished_records")).toEqual({ tracks: "ok", users: "ok", listen_history: "ok" });
    expect(await gone("tracks")).toEqual([
      ["3", second.id],
      ["4", second.id],
    ]);

    // A source restarted with other data: half the users are gone, which fails the run, and the failed run hides nothing.
    source.set("users", users.slice(100));
    const fourth = await ingest(database, config);
    expect(fourth.status).toBe("failed");
    expect(await levels(fourth.id, "vanished_records")).toMatchObject({ users: "error" });
    expect(fourth.error).toMatch(/vanished_records\(users\): 100 of the 200 records/);
    expect(await database.db.user.count()).toBe(200);
    expect(await gone("users")).toEqual([]);
    expect(await gone("tracks")).toEqual([
      ["3", second.id],
      ["4", second.id],
    ]);

    // The next full read misses the same users: two reads agree, the run passes, and they are marked gone since the fourth.
    const fifth = await ingest(database, config);
    expect(fifth.status).toBe("success");
    expect(await gone("users")).toEqual(
      range(1, 100)
        .map((id) => [String(id), fourth.id])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it("a run that fails its checks changes nothing in source_vanished: a source answering `total: 1000` for 5,000 tracks", async () => {
    const tracks = range(1, 5000).map((id) => validTrack(id));
    source = await startScriptedSource({ tracks, users: [validUser(1)], listen_history: [validHistory(1, [1])] });
    database = await createTestDatabase();
    const config = testConfig(source.url, lake.dir);
    expect((await ingest(database, config)).status).toBe("success");

    // The lie: the first 1,000 tracks and a total that adds up, so the read looks complete.
    source.set("tracks", tracks.slice(0, 1000));
    const lied = await ingest(database, config);
    expect(lied.status).toBe("failed");
    expect(lied.error).toMatch(/vanished_records\(tracks\): 4000 of the 5000 records/);
    expect(await database.db.vanishedRecord.count()).toBe(0);

    // The source is honest again: the next run succeeds, and nothing was ever hidden.
    source.set("tracks", tracks);
    const next = await ingest(database, config);
    expect(next.status).toBe("success");
    expect(await database.db.vanishedRecord.count()).toBe(0);
    expect(await database.db.pendingVanishedRecord.count()).toBe(0);
  });

  it("a record older than the stored version of its key is counted and reported, and the stored one kept", async () => {
    source = await startScriptedSource({
      tracks: range(1, 100).map((id) => validTrack(id, 10)),
      users: [validUser(1)],
      listen_history: [validHistory(1, [1])],
    });
    database = await createTestDatabase();
    const config = testConfig(source.url, lake.dir);
    expect((await ingest(database, config)).status).toBe("success");
    source.set(
      "tracks",
      range(1, 100).map((id) => validTrack(id, id <= 3 ? 5 : 10)),
    );
    const reset = await ingest(database, config);
    expect(reset.status).toBe("success");
    expect(await levels(reset.id, "updated_at_backwards")).toEqual({ tracks: "warn", users: "ok", listen_history: "ok" });
    const check = await database.db.checkResult.findFirstOrThrow({ where: { runId: reset.id, check: "updated_at_backwards", dataset: "tracks" } });
    expect(check.measured).toEqual({ backwards: 3 });
    const stored = await database.db.track.findUniqueOrThrow({ where: { id: 1 } });
    expect(stored.updatedAt.toISOString().slice(0, 19)).toBe(JSON.parse(validTrack(1, 10)).updated_at);
  });
});
