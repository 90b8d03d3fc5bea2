import type { DatasetReconciliation } from "./outputs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { datasetTasks, seedRun } from "../testing/ledger";
import {
  duplicateKeysCheck,
  freshnessCheck,
  orphanItemsCheck,
  requiredFieldsCheck,
  rowCountCheck,
  schemaDriftCheck,
  waitingForUserCheck,
  type CheckPolicy,
} from "./checks";
import type { CheckContext, DataCheck } from "../pipeline/checks";

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(() => database.drop());

const NOW = new Date("2026-11-27T12:00:00Z");
const policy = { freshnessWarnHours: 36, freshnessErrorHours: 72, vanishedWarnShare: 0.01, vanishedErrorShare: 0.2 };
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

async function levels(check: DataCheck<CheckPolicy>, runId: number, extra: Partial<CheckContext<CheckPolicy>> = {}) {
  const run = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: runId } });
  const outcomes = await check({ database, run, policy, now: NOW, ...extra });
  return Object.fromEntries(outcomes.map((o) => [o.dataset, o.level]));
}

async function addTrack(id: number, updatedAt: string, name = "song") {
  await database.pool.query(`INSERT INTO tracks VALUES ($1, $2, 'artist', 'writer', '03:00', 'Pop', 'album', $3, $3)`, [id, name, updatedAt]);
}
async function addUser(id: number, updatedAt = hoursAgo(1), email = "a@b.c") {
  await database.pool.query(`INSERT INTO users VALUES ($1, 'Ann', 'Lee', $2, 'Female', 'Pop', $3, $3)`, [id, email, updatedAt]);
}
async function addHistory(userId: number, items: number[], updatedAt = hoursAgo(1)) {
  await database.pool.query(`INSERT INTO listen_history (user_id, items, created_at, updated_at) VALUES ($1, $2, $3, $3)`, [userId, items, updatedAt]);
}

describe("row_count", () => {
  it("is an error past a 50% drop, a warning past 20%, fine otherwise, against the median of 7 runs", async () => {
    for (const rows of [1000, 1000, 1000, 990, 1010, 1000, 5])
      await seedRun(database.db, { tasks: datasetTasks({ tracks: rows, users: rows, listen_history: rows }) });
    const run = await seedRun(database.db, { status: "running", tasks: datasetTasks({ tracks: 1000, users: 700, listen_history: 400 }) });
    expect(await levels(rowCountCheck, run.id)).toEqual({ tracks: "ok", users: "warn", listen_history: "error" });
  });

  it("has nothing to say without earlier runs", async () => {
    const run = await seedRun(database.db, { status: "running", tasks: datasetTasks({ tracks: 1, users: 1, listen_history: 1 }) });
    expect(await levels(rowCountCheck, run.id)).toEqual({ tracks: "ok", users: "ok", listen_history: "ok" });
  });
});

describe("required_fields", () => {
  it("counts records rejected this run and empty values in the table", async () => {
    const run = await seedRun(database.db, { status: "running", tasks: datasetTasks({ tracks: 100, users: 100, listen_history: 100 }) });
    await database.db.quarantinedRecord.createMany({
      data: Array.from({ length: 3 }, () => ({ runId: run.id, dataset: "tracks", reasonCode: "invalid", reason: "created_at: missing", payload: "{}" })),
    });
    await addUser(1, hoursAgo(1), "");
    for (let i = 2; i <= 60; i++) await addUser(i);
    await addHistory(2, [1, 2]);
    expect(await levels(requiredFieldsCheck, run.id)).toEqual({ tracks: "warn", users: "warn", listen_history: "ok" });
    await addHistory(3, []);
    expect((await levels(requiredFieldsCheck, run.id)).listen_history).toBe("error");
  });
});

describe("duplicate_keys", () => {
  it("warns on any record sent twice in one read and fails past 5%", async () => {
    const reconciliation = (sourceRepeats: number): DatasetReconciliation => ({
      fetched: 100,
      invalid: 0,
      invalidQuarantined: 0,
      distinct: 100 - sourceRepeats,
      repeats: sourceRepeats,
      sourceRepeats,
      inTable: 100 - sourceRepeats,
      waitingForUser: 0,
      source: null,
      shortfall: 0,
      unrecorded: 0,
      missing: [],
      holds: true,
      vanished: null,
    });
    const run = await seedRun(database.db, {
      status: "running",
      tasks: [{ task: "reconcile", details: { reconciliation: { tracks: reconciliation(0), users: reconciliation(2), listen_history: reconciliation(9) } } }],
    });
    expect(await levels(duplicateKeysCheck, run.id)).toEqual({ tracks: "ok", users: "warn", listen_history: "error" });
  });
});

describe("orphan_items", () => {
  it("warns past 5% of this run's items naming unknown tracks, and fails only past the configured share", async () => {
    const counted = (items: number, orphanItems: number) =>
      seedRun(database.db, {
        status: "running",
        tasks: [{ task: "listen_history", details: { unknownFields: {}, updatedAtBackwards: 0, items, orphanItems } }],
      });
    expect(await levels(orphanItemsCheck, (await counted(100, 5)).id)).toEqual({ listen_history: "ok" });
    const run = await counted(100, 6);
    expect(await levels(orphanItemsCheck, run.id)).toEqual({ listen_history: "warn" });
    expect(await levels(orphanItemsCheck, run.id, { policy: { ...policy, orphanErrorShare: 0.05 } })).toEqual({ listen_history: "error" });
  });
});

describe("waiting_for_user", () => {
  it("warns past 1% of histories waiting for their user, fails past 10%", async () => {
    const run = await seedRun(database.db, { status: "running" });
    await addUser(1);
    for (let i = 0; i < 20; i++) await addHistory(1, [1], hoursAgo(i + 1));
    expect(await levels(waitingForUserCheck, run.id)).toEqual({ listen_history: "ok" });
    const wait = (key: string) => ({
      runId: run.id,
      dataset: "listen_history",
      reasonCode: "unknown_user",
      reason: "user 9 is not in users (yet)",
      recordKey: key,
      payload: "{}",
    });
    await database.db.quarantinedRecord.createMany({ data: [wait("9@a"), wait("9@a")] });
    expect(await levels(waitingForUserCheck, run.id)).toEqual({ listen_history: "warn" });
    await database.db.quarantinedRecord.createMany({ data: [wait("9@b"), wait("9@c")] });
    expect(await levels(waitingForUserCheck, run.id)).toEqual({ listen_history: "error" });
  });
});

describe("freshness", () => {
  it("grades the age of the newest updated_at against the policy", async () => {
    const run = await seedRun(database.db, { status: "running" });
    await addTrack(1, hoursAgo(80));
    await addTrack(2, hoursAgo(75));
    await addUser(1, hoursAgo(40));
    await addHistory(1, [1], hoursAgo(2));
    expect(await levels(freshnessCheck, run.id)).toEqual({ tracks: "error", users: "warn", listen_history: "ok" });
    expect((await levels(freshnessCheck, run.id, { policy: { ...policy, freshnessWarnHours: 100, freshnessErrorHours: 200 } })).tracks).toBe("ok");
  });

  it("a newest updated_at more than a day in the future is an error, with how far ahead it is", async () => {
    const run = await seedRun(database.db, { status: "running" });
    await addTrack(10, "9999-12-31T23:59:59.000Z");
    await addUser(10, hoursAgo(-2));
    const outcomes = await freshnessCheck({ database, run, policy, now: NOW });
    expect(Object.fromEntries(outcomes.map((o) => [o.dataset, o.level]))).toMatchObject({ tracks: "error", users: "ok" });
    const tracks = outcomes.find((o) => o.dataset === "tracks")!;
    expect(tracks.message).toMatch(/^newest updated_at is \d+\.\d h in the future \(9999-12-31T23:59:59\.000Z\)$/);
  });
});

describe("schema_drift", () => {
  it("warns when the source sent fields the pipeline does not know", async () => {
    const run = await seedRun(database.db, {
      status: "running",
      tasks: [
        { task: "tracks", details: { unknownFields: { popularity: 1000 }, updatedAtBackwards: 0 } },
        { task: "users", details: { unknownFields: {}, updatedAtBackwards: 0 } },
        { task: "listen_history", details: { unknownFields: {}, updatedAtBackwards: 0 } },
      ],
    });
    expect(await levels(schemaDriftCheck, run.id)).toEqual({ tracks: "warn", users: "ok", listen_history: "ok" });
  });
});
