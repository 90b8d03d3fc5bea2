import { afterAll, beforeAll, expect, it } from "vitest";
import type { Database } from "../db/client";
import { startRun, waitForRun } from "../pipeline/runner";
import { DEFAULT_TRAIN, trainPipeline } from "../recommender/pipeline";
import type { Simulator } from "../simulator/server";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, startTestSimulator, tempLake, testConfig } from "../testing/ingestion";
import { startS3Server, type TestS3Server } from "../testing/s3-server";
import { openStore } from "./open";

let s3: TestS3Server;
let lake: Awaited<ReturnType<typeof tempLake>>;
let simulator: Simulator;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  [s3, lake, simulator] = await Promise.all([startS3Server(), tempLake(), startTestSimulator("realistic", 11)]);
});
afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
  await Promise.all([simulator?.close(), s3?.stop(), lake?.remove()]);
});

/** The three tables' contents, whatever order rows were loaded in. */
async function tableFingerprint(database: Database): Promise<Record<string, string>> {
  const { rows } = await database.pool.query<{ tracks: string; users: string; listens: string }>(`
    SELECT (SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM tracks t) AS tracks,
           (SELECT md5(string_agg(u::text, '|' ORDER BY id)) FROM users u) AS users,
           (SELECT md5(string_agg(concat_ws(',', user_id, items, created_at, updated_at), '|' ORDER BY user_id, created_at)) FROM listen_history) AS listens`);
  return rows[0]!;
}

async function train(database: Database, storage: string, params: Record<string, unknown> = {}) {
  const started = await startRun(database, trainPipeline({ ...DEFAULT_TRAIN, store: openStore(storage) }), { trigger: "cli", params });
  const run = started.deduped ? await waitForRun(database, started.run.id) : await started.finished;
  expect(run.error).toBeNull();
  return run;
}

/** Ingest from the source, train, replay the ingestion from the store, retrain on the stored snapshot: what each left in the database. */
async function wholeCycle(storage: string) {
  const database = await createTestDatabase();
  databases.push(database);
  const ingested = await ingest(database, testConfig(simulator.url, storage));
  expect(ingested.status).toBe("success");
  const tables = await tableFingerprint(database);
  await train(database, storage);
  await database.pool.query("TRUNCATE listen_history, tracks, users CASCADE");
  const replay = await ingest(database, testConfig(undefined, storage), { trigger: "cli", params: { replayOf: ingested.id } });
  expect(replay.status).toBe("success");
  const snapshot = await database.db.trainSnapshot.findFirstOrThrow();
  await train(database, storage, { snapshotId: snapshot.id, force: true });
  const versions = await database.db.modelVersion.findMany({
    orderBy: { id: "asc" },
    select: { family: true, artefactDigest: true, artefactBytes: true, artefactPath: true, runId: true },
  });
  return { tables, replayed: await tableFingerprint(database), snapshot, versions };
}

it("ingests, trains, replays and retrains on an S3-compatible store with the same rows and artefact checksums as on a local folder", async () => {
  const local = await wholeCycle(lake.dir);
  const onS3 = await wholeCycle(s3.url("pipeline"));

  expect(local.replayed).toEqual(local.tables);
  expect(onS3.tables).toEqual(local.tables);
  expect(onS3.replayed).toEqual(local.tables);
  expect(onS3.snapshot.digest).toBe(local.snapshot.digest);
  expect(onS3.snapshot.path).toBe(`s3://encore/pipeline/snapshots/${local.snapshot.digest}.snap`);
  const checksums = (versions: typeof local.versions) => versions.map((v) => `${v.family} ${v.artefactDigest} ${v.artefactBytes}`);
  expect(checksums(onS3.versions)).toEqual(checksums(local.versions));
  // The retrain on the stored snapshot repeats the first run's models exactly.
  const [first, again] = [onS3.versions.filter((v) => v.runId === onS3.versions[0]!.runId), onS3.versions.filter((v) => v.runId !== onS3.versions[0]!.runId)];
  expect(checksums(again)).toEqual(checksums(first));
  for (const v of onS3.versions) expect(v.artefactPath).toBe(`s3://encore/pipeline/models/${v.artefactDigest}.model`);

  // Everything is in the bucket, in the lake's layout, and nothing in the local folder came from the S3 runs.
  const keys = await openStore(s3.url("pipeline")).list("");
  const day = new Date().toISOString().slice(0, 10);
  for (const dataset of ["tracks", "users", "listen_history"]) expect(keys).toContain(`${dataset}/${day}/run-1/try1-pass1.jsonl.gz`);
  expect(keys).toContain(`snapshots/${local.snapshot.digest}.snap`);
  expect(keys.filter((k) => k.startsWith("models/")).sort()).toEqual([...new Set(onS3.versions.map((v) => `models/${v.artefactDigest}.model`))].sort());
}, 600_000);
