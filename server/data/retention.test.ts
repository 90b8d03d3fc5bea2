import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { lakeRetentionOutput } from "../ingestion/outputs";
import { readOutput } from "../pipeline/outputs";
import { retentionOutput } from "../recommender/outputs";
import type { Simulator } from "../simulator/server";
import { openStore } from "../storage/open";
import type { ObjectStore } from "../storage/store";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, startTestSimulator, tempLake, testConfig } from "../testing/ingestion";
import { seedRun, seedVersion } from "../testing/ledger";
import { retentionReport } from "./retention";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
const dayOf = (date: Date) => date.toISOString().slice(0, 10);
const POLICY = { lakeKeepDays: 30, snapshotKeepDays: 30, feedbackKeepDays: 400 };

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let store: ObjectStore;
let simulator: Simulator;

beforeAll(async () => {
  [database, lake, simulator] = await Promise.all([createTestDatabase(), tempLake(), startTestSimulator()]);
  store = openStore(lake.dir);
});
afterAll(async () => {
  await Promise.all([database?.drop(), lake?.remove(), simulator?.close()]);
});
beforeEach(async () => {
  await database.db.$executeRawUnsafe(`TRUNCATE pipeline_runs, train_snapshots, model_versions, model_aliases CASCADE`);
  for (const key of await store.list("")) await store.delete(key);
});

/** An ingest run `days` ago that landed one file of each dataset, `bytes` long. */
async function landedRun(days: number, bytes: number) {
  const run = await seedRun(database.db, { pipeline: "ingest", startedAt: daysAgo(days) });
  for (const dataset of ["tracks", "users", "listen_history"])
    await store.put(`${dataset}/${dayOf(daysAgo(days))}/run-${run.id}/try1-pass1.jsonl.gz`, [Buffer.alloc(bytes)]);
  return run;
}

describe("the retention report", () => {
  it("says that neither task ever ran, and that nothing is stored", async () => {
    const report = await retentionReport(database, store, POLICY);
    expect(report.policy).toEqual(POLICY);
    expect(report.lake.task).toEqual({ last: null, lastSuccess: null, notStarted: null });
    expect(report.train.task).toEqual({ last: null, lastSuccess: null, notStarted: null });
    expect(report.lake.stored).toEqual({ ok: true, value: { files: 0, bytes: 0, days: [], oldestDay: null } });
    expect(report.train.snapshots).toEqual({ ok: true, value: { files: 0, bytes: 0, oldestTakenAt: null } });
    expect(report.train.batchScores).toEqual([]);
    expect(report.feedback.task).toEqual({ last: null, lastSuccess: null, notStarted: null });
    // The migration made this month's partition and the next two's; the default one comes last.
    const month = (ahead: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + ahead, 1)).toISOString().slice(0, 7);
    expect(report.feedback.partitions.map((p) => [p.month, p.rowsEstimate])).toEqual([
      [month(0), 0],
      [month(1), 0],
      [month(2), 0],
      [null, 0],
    ]);
  });

  it("shows what a real ingest's lake-retention deleted and the lake it left; a later failure is the last try, the success is kept apart", async () => {
    const old = await landedRun(40, 10);
    const lineage = await landedRun(35, 7);
    // A kept version trained on a snapshot taken after `lineage`: its pages stay whatever their age.
    const snapshot = await database.db.trainSnapshot.create({
      data: { createdAt: daysAgo(35), ingestionRunId: lineage.id, users: 1, tracks: 1, listens: 1, pairs: 1, digest: "-", path: "/nowhere", bytes: 1 },
    });
    await seedVersion(database.db, snapshot.id);
    const run = await ingest(database, testConfig(simulator.url, lake.dir, { lakeKeepDays: POLICY.lakeKeepDays }));
    expect(run.status).toBe("success");

    let report = await retentionReport(database, store, POLICY);
    expect(report.lake.task.last).toMatchObject({ runId: run.id, tryNumber: 1, status: "success", error: null, outputError: null });
    expect(report.lake.task.last?.output).toEqual(await readOutput(database.db, run.id, lakeRetentionOutput));
    expect(report.lake.task.last?.output).toMatchObject({ deletedFiles: 3, prunedRuns: [old.id], neededRuns: [lineage.id, run.id] });
    expect(report.lake.task.lastSuccess).toBeNull();
    expect(report.lake.task.notStarted).toBeNull();

    const landed = await store.listSizes("");
    const today = dayOf(run.startedAt!);
    expect(report.lake.stored.ok && report.lake.stored.value).toEqual({
      files: landed.length,
      bytes: landed.reduce((n, f) => n + f.bytes, 0),
      days: [
        { day: dayOf(daysAgo(35)), files: 3, bytes: 21, runs: [lineage.id] },
        { day: today, files: landed.length - 3, bytes: landed.reduce((n, f) => n + f.bytes, 0) - 21, runs: [run.id] },
      ],
      oldestDay: dayOf(daysAgo(35)),
    });
    // The local lake keeps no emptied day folder.
    expect((await readdir(path.join(lake.dir, "tracks"))).sort()).toEqual([dayOf(daysAgo(35)), today].sort());

    const failed = await seedRun(database.db, {
      pipeline: "ingest",
      status: "failed",
      startedAt: new Date(Date.now() + HOUR),
      tasks: [{ task: "lake-retention", status: "failed", error: "EACCES: permission denied, rmdir" }],
    });
    const skipped = await seedRun(database.db, {
      pipeline: "ingest",
      status: "failed",
      startedAt: new Date(Date.now() + 2 * HOUR),
      tasks: [
        { task: "checks", status: "failed" },
        { task: "lake-retention", status: "skipped", error: "not run: publish did not succeed" },
      ],
    });
    report = await retentionReport(database, store, POLICY);
    expect(report.lake.task.last).toMatchObject({ runId: failed.id, status: "failed", error: "EACCES: permission denied, rmdir", output: null });
    expect(report.lake.task.lastSuccess).toMatchObject({ runId: run.id, status: "success", output: { deletedFiles: 3 } });
    expect(report.lake.task.notStarted).toEqual({
      runs: 1,
      latest: { runId: skipped.id, runStatus: "failed", taskStatus: "skipped", reason: "not run: publish did not succeed", createdAt: skipped.createdAt },
    });
  }, 60_000);

  it("shows the train retention's output, the snapshot files and the batch scores of each version now", async () => {
    const file = (name: string, bytes: number) => store.put(`snapshots/${name}.snap`, [Buffer.alloc(bytes)]);
    await Promise.all([file("a", 100), file("b", 50)]);
    const snapshotRow = (name: string, days: number) =>
      database.db.trainSnapshot.create({
        data: { createdAt: daysAgo(days), users: 1, tracks: 1, listens: 1, pairs: 1, digest: name, path: store.locate(`snapshots/${name}.snap`), bytes: 1 },
      });
    const [a] = await Promise.all([snapshotRow("a", 3), snapshotRow("b", 1), snapshotRow("gone", 50)]);
    const [champion, challenger] = [await seedVersion(database.db, a.id, { family: "als" }), await seedVersion(database.db, a.id)];
    await database.db.modelAlias.createMany({
      data: [
        { alias: "champion", versionId: champion.id, updatedBy: "test", reason: "-" },
        { alias: "challenger", versionId: challenger.id, updatedBy: "test", reason: "-" },
      ],
    });
    await database.db.recommendation.createMany({
      data: [
        ...Array.from({ length: 4 }, (_, u) => ({ versionId: champion.id, userId: u + 1, trackIds: [1], scores: [1], reasons: [] })),
        { versionId: challenger.id, userId: 1, trackIds: [1], scores: [1], reasons: [] },
      ],
    });
    // Written as the train pipeline's retention task writes it.
    const output = retentionOutput.schema.parse({
      batchScores: { keptVersions: [champion.id, challenger.id], prunedVersions: [champion.id - 1], rows: 1200 },
      snapshots: { kept: 2, deleted: 1 },
    });
    const train = await seedRun(database.db, { pipeline: "train", tasks: [{ task: "publish" }, { task: "retention", details: output }] });
    // The ingest pipeline has no task of that name; one by another pipeline must not be read.
    await seedRun(database.db, {
      pipeline: "analyze",
      startedAt: new Date(Date.now() + HOUR),
      tasks: [{ task: "retention", status: "failed", error: "not ours" }],
    });

    const report = await retentionReport(database, store, POLICY);
    expect(report.train.task).toEqual({
      last: {
        runId: train.id,
        tryNumber: 1,
        status: "success",
        startedAt: train.startedAt,
        finishedAt: train.finishedAt,
        error: null,
        output,
        outputError: null,
      },
      lastSuccess: null,
      notStarted: null,
    });
    expect(report.train.snapshots).toEqual({ ok: true, value: { files: 2, bytes: 150, oldestTakenAt: a.createdAt } });
    expect(report.train.batchScores).toEqual([
      { versionId: champion.id, family: "als", rows: 4, aliases: ["champion"] },
      { versionId: challenger.id, family: "popularity", rows: 1, aliases: ["challenger"] },
    ]);
  });

  it("says a success whose output does not match its schema cannot be read, instead of showing made-up figures", async () => {
    await seedRun(database.db, { pipeline: "train", tasks: [{ task: "retention", details: { snapshots: { kept: -1 } } }] });
    const { last } = (await retentionReport(database, store, POLICY)).train.task;
    expect(last).toMatchObject({ status: "success", output: null });
    expect(last?.outputError).toMatch(/batchScores/);
  });

  it("says the store cannot be read instead of failing the whole report", async () => {
    const notAFolder = path.join(lake.dir, "not-a-folder");
    await writeFile(notAFolder, "x");
    const report = await retentionReport(database, openStore(notAFolder), POLICY);
    expect(report.lake.stored).toMatchObject({ ok: false, error: expect.stringMatching(/ENOTDIR/) });
    expect(report.train.snapshots).toMatchObject({ ok: false, error: expect.stringMatching(/ENOTDIR/) });
  });
});
