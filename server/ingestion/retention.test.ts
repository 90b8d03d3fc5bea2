import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOutput } from "../pipeline/outputs";
import type { Simulator } from "../simulator/server";
import { openStore } from "../storage/open";
import type { ObjectStore } from "../storage/store";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, startTestSimulator, tableCounts, tempLake, testConfig } from "../testing/ingestion";
import { seedRun, seedVersion } from "../testing/ledger";
import { startS3Server, type TestS3Server } from "../testing/s3-server";
import { lakeRetentionOutput } from "./outputs";
import { pruneLake, runsNeedingPages } from "./retention";

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let s3: TestS3Server;

beforeAll(async () => {
  [database, lake, s3] = await Promise.all([createTestDatabase(), tempLake(), startS3Server()]);
});
afterAll(async () => {
  await Promise.all([database?.drop(), lake?.remove(), s3?.stop()]);
});

/** An ingest run `days` ago that landed a file of each dataset (a replay lands none). */
async function landedRun(store: ObjectStore, days: number, replayOf?: number) {
  const run = await seedRun(database.db, { pipeline: "ingest", startedAt: daysAgo(days) });
  if (replayOf !== undefined) return database.db.pipelineRun.update({ where: { id: run.id }, data: { params: { replayOf } } });
  const day = daysAgo(days).toISOString().slice(0, 10);
  for (const dataset of ["tracks", "users", "listen_history"])
    for (const name of ["try1-pass1.jsonl.gz", "try2-pass1.jsonl.gz.partial"]) await store.put(`${dataset}/${day}/run-${run.id}/${name}`, [Buffer.from("x")]);
  return run;
}

/** A snapshot taken after `ingestionRunId`, with a version whose artefact is kept or pruned. */
async function snapshotAfter(ingestionRunId: number, artefactPruned: boolean) {
  const snapshot = await database.db.trainSnapshot.create({
    data: { createdAt: daysAgo(90), ingestionRunId, users: 1, tracks: 1, listens: 1, pairs: 1, digest: "-", path: "/nowhere", bytes: 1 },
  });
  await seedVersion(database.db, snapshot.id, { artefactPrunedAt: artefactPruned ? new Date() : null });
}

/** The runs that have pages in the lake. */
const runsIn = async (store: ObjectStore) =>
  [...new Set((await store.list("")).flatMap((key) => /\/run-(\d+)\//.exec(key)?.slice(1) ?? []).map(Number))].sort((a, b) => a - b);

describe.each([
  ["a local folder", () => openStore(lake.dir)],
  ["an S3 store", () => openStore(s3.url("retention"))],
])("the lake's retention on %s", (_, storeOf) => {
  it("deletes the pages past the kept days, except a kept replay's source and a kept version's lineage; a deletion cut short is finished by the next", async () => {
    await database.db.$executeRawUnsafe(`TRUNCATE pipeline_runs, train_snapshots, model_versions CASCADE`);
    const store = storeOf();
    const old = await landedRun(store, 60);
    const replayedSource = await landedRun(store, 50);
    const lineage = await landedRun(store, 45);
    const prunedLineage = await landedRun(store, 40);
    const recent = await landedRun(store, 3);
    await landedRun(store, 1, replayedSource.id);
    await snapshotAfter(lineage.id, false);
    await snapshotAfter(prunedLineage.id, true);
    await store.put("snapshots/kept.snap", [Buffer.from("not the lake's")]);

    const cutoff = daysAgo(30);
    const needed = await runsNeedingPages(database.db, cutoff);
    expect(needed).toContain(replayedSource.id);
    expect(needed).toContain(lineage.id);
    expect(needed).not.toContain(old.id);
    expect(needed).not.toContain(prunedLineage.id);

    // What a crash after some deletions leaves: part of a run's files gone.
    await store.delete(`tracks/${daysAgo(60).toISOString().slice(0, 10)}/run-${old.id}/try1-pass1.jsonl.gz`);
    expect(await pruneLake(store, cutoff, needed)).toEqual({ deletedFiles: 6 + 5, prunedRuns: [old.id, prunedLineage.id] });
    expect(await runsIn(store)).toEqual([replayedSource.id, lineage.id, recent.id]);
    expect(await store.list("snapshots/")).toEqual(["snapshots/kept.snap"]);
    expect(await pruneLake(store, cutoff, needed)).toEqual({ deletedFiles: 0, prunedRuns: [] });
  });
});

describe("the ingest pipeline's lake-retention task", () => {
  let simulator: Simulator;
  beforeAll(async () => {
    simulator = await startTestSimulator();
  });
  afterAll(() => simulator.close());

  it("runs after publish, records what it deleted, and leaves what a replay of the run needs", async () => {
    await database.db.$executeRawUnsafe(`TRUNCATE pipeline_runs, train_snapshots, model_versions CASCADE`);
    const own = await tempLake();
    const dir = own.dir;
    const store = openStore(dir);
    const old = await landedRun(store, 40);
    const run = await ingest(database, testConfig(simulator.url, dir, { lakeKeepDays: 30 }));
    expect(run.status).toBe("success");
    const output = await readOutput(database.db, run.id, lakeRetentionOutput);
    expect(output).toEqual({ cutoffDay: daysAgo(30).toISOString().slice(0, 10), deletedFiles: 6, prunedRuns: [old.id], neededRuns: [run.id] });
    expect(await runsIn(store)).toEqual([run.id]);
    const counts = await tableCounts(database);
    const replay = await ingest(database, testConfig(undefined, dir), { trigger: "cli", params: { replayOf: run.id } });
    expect(replay.status).toBe("success");
    expect(await tableCounts(database)).toEqual(counts);
    await own.remove();
  }, 60_000);
});
