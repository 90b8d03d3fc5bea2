import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, taskRows, tempLake, testConfig } from "../testing/ingestion";
import { startScriptedSource, validHistory, validTrack, validUser, type ScriptedSource } from "../testing/scripted-source";
import type { DatasetReconciliation } from "./reconcile";

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
      String.raw`"a string record"`,
      "[1,2,3]",
      withField(validTrack(5101), "name", JSON.stringify("x".repeat(1_000_000))),
    ];
    // An unknown field whose name holds NUL or half a pair: the record is valid and loads; the name is counted, escaped.
    const oddKeys = [validTrack(5100).replace("{", String.raw`{"na\u0000me":"x",`), validTrack(5200).replace("{", String.raw`{"x\u0000y":1,`), validTrack(5201).replace("{", String.raw`{"\ud800":1,`)];
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
    const tracks = [validTrack(2500), hostileTracks[0]!, validTrack(2502), ...range(1, 1000).map((id) => validTrack(id)), ...hostileTracks.slice(1), ...oddKeys];
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
    for (const [dataset, sent] of [["tracks", hostileTracks], ["users", hostileUsers], ["listen_history", hostileHistories]] as const) {
      const stored = await quarantined(dataset);
      expect(stored.map((q) => JSON.parse(q.payload) as unknown)).toEqual(sent.map((raw) => JSON.parse(raw) as unknown));
      for (const q of stored) expect(q.reason).not.toBe("");
    }
    const tracksQuarantine = await quarantined("tracks");
    expect(tracksQuarantine[0]!.reason).toMatch(/name: contains a NUL character/);
    expect(tracksQuarantine.find((q) => q.payload.startsWith(String.raw`{"id":"51\u000001"`))!.record_key).toBe(String.raw`51\u000001`);
    expect((await quarantined("listen_history"))[0]!.reason).toMatch(/items\.1/);

    const tasks = await taskRows(database, run.id);
    expect((tasks.tracks!.details as { unknownFields: Record<string, number> }).unknownFields).toEqual({ [String.raw`na\u0000me`]: 1, [String.raw`x\u0000y`]: 1, [String.raw`\ud800`]: 1 });
  });
});

describe("a source that misreports how much it holds", () => {
  const reconciliation = async (runId: number) =>
    ((await taskRows(database, runId)).reconcile!.details as unknown as { reconciliation: Record<string, DatasetReconciliation> }).reconciliation;

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
});
