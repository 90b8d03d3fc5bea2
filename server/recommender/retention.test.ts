import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExperimentStatus } from "../db/generated/client";
import { openStore } from "../storage/open";
import type { ObjectStore } from "../storage/store";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { tempLake } from "../testing/ingestion";
import { seedRun, seedVersion } from "../testing/ledger";
import { pruneBatchScores, pruneSnapshots, servableVersions } from "./retention";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let store: ObjectStore;

beforeAll(async () => {
  lake = await tempLake();
  store = openStore(lake.dir);
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  await lake.remove();
});

const DAY = 86_400_000;

/** A snapshot row with its file in the store, taken `daysAgo`. */
async function snapshot(name: string, daysAgo: number, runId: number | null = null) {
  const key = `snapshots/${name}.snap`;
  await store.put(key, [Buffer.from(name)]);
  return database.db.trainSnapshot.create({
    data: {
      createdAt: new Date(Date.now() - daysAgo * DAY),
      runId,
      users: 1,
      tracks: 1,
      listens: 1,
      pairs: 1,
      digest: name,
      path: store.locate(key),
      bytes: 1,
    },
  });
}

const version = (snapshotId: number, runId: number, pruned = false) =>
  seedVersion(database.db, snapshotId, { runId, artefactPrunedAt: pruned ? new Date() : null });

async function experiment(key: string, status: ExperimentStatus, versionId: number) {
  await database.db.experiment.create({
    data: {
      key,
      name: key,
      hypothesis: "-",
      seed: key,
      primaryMetric: "ctr",
      secondaryMetrics: [],
      guardrailMetrics: [],
      createdBy: "test",
      status,
      variants: { create: [{ key: "a", position: 0, versionId, weight: 1 }] },
    },
  });
}

async function scores(versionId: number, users: number) {
  await database.db.recommendation.createMany({
    data: Array.from({ length: users }, (_, u) => ({ versionId, userId: u + 1, trackIds: [1], scores: [1], reasons: [] })),
  });
}

const rowsOf = async (versionId: number) => database.db.recommendation.count({ where: { versionId } });

describe("retention of batch scores", () => {
  it("keeps the scores of aliased versions, the rollback target, undecided experiments' and the latest run's; deletes the rest in batches, and a run cut short is finished by the next", async () => {
    const earlier = await seedRun(database.db, { pipeline: "train" });
    const latest = await seedRun(database.db, { pipeline: "train" });
    const snap = await snapshot("scores", 0);
    const [previous, champion, challenger, running, stopped, decided, forgotten] = [
      await version(snap.id, earlier.id),
      await version(snap.id, earlier.id),
      await version(snap.id, earlier.id),
      await version(snap.id, earlier.id),
      await version(snap.id, earlier.id),
      await version(snap.id, earlier.id),
      await version(snap.id, earlier.id),
    ];
    const own = await version(snap.id, latest.id);
    for (const v of [previous, champion, challenger, running, stopped, decided, forgotten, own]) await scores(v.id, 7);
    await database.db.modelAlias.create({ data: { alias: "champion", versionId: champion.id, updatedBy: "test", reason: "-" } });
    // The champion replaced `previous`: a rollback returns to it.
    await database.db.auditLog.create({ data: { action: "model.promote", target: "champion", detail: { from: previous.id, to: champion.id } } });
    await database.db.modelAlias.create({ data: { alias: "challenger", versionId: challenger.id, updatedBy: "test", reason: "-" } });
    await experiment("running", "running", running.id);
    await experiment("stopped", "stopped", stopped.id);
    await experiment("decided", "decided", decided.id);

    const kept = await servableVersions(database.db, latest.id);
    expect(kept).toEqual([previous.id, champion.id, challenger.id, running.id, stopped.id, own.id]);

    // Cut short after the first statement, as a crash or a cancel would: what was deleted stays deleted, the rest is whole.
    const cancel = new AbortController();
    await expect(pruneBatchScores(database, kept, { rowsPerDelete: 3, signal: cancel.signal, onDeleted: () => cancel.abort() })).rejects.toThrow();
    expect(await rowsOf(decided.id)).toBe(4);
    expect(await rowsOf(forgotten.id)).toBe(7);

    const batches: number[] = [];
    const finished = await pruneBatchScores(database, kept, { rowsPerDelete: 3, onDeleted: (rows) => batches.push(rows) });
    expect(finished).toEqual({ versions: [decided.id, forgotten.id], rows: 4 + 7 });
    // 3 + 1 rows, then 3 + 3 + 1: no statement deletes more than its batch.
    expect(batches).toEqual([3, 4, 7, 10, 11]);
    for (const v of [decided, forgotten]) expect(await rowsOf(v.id)).toBe(0);
    for (const v of [previous, champion, challenger, running, stopped, own]) expect(await rowsOf(v.id)).toBe(7);

    expect(await pruneBatchScores(database, kept)).toEqual({ versions: [], rows: 0 });
  });
});

describe("retention of snapshots", () => {
  it("deletes the files of old snapshots that no kept version was trained on; keeps recent ones, the run's own and those of versions with their artefact", async () => {
    const run = await seedRun(database.db, { pipeline: "train" });
    const recent = await snapshot("recent", 2);
    const own = await snapshot("own", 90, run.id);
    const served = await snapshot("served", 90);
    await version(served.id, run.id);
    const pruned = await snapshot("pruned", 90);
    await version(pruned.id, run.id, true);
    const unused = await snapshot("unused", 90);
    // Content-addressed: a recent row sharing an old row's file keeps it.
    const shared = await snapshot("shared", 90);
    await database.db.trainSnapshot.create({
      data: { runId: null, users: 1, tracks: 1, listens: 1, pairs: 1, digest: "shared", path: shared.path, bytes: 1 },
    });
    await store.put("snapshots/orphan.snap", [Buffer.from("a file no row names")]);

    const cutoff = new Date(Date.now() - 30 * DAY);
    const first = await pruneSnapshots(database.db, store, cutoff, run.id);
    expect(first.deleted).toEqual(["snapshots/orphan.snap", "snapshots/pruned.snap", "snapshots/unused.snap"]);
    const left = await store.list("snapshots/");
    for (const kept of [recent, own, served, shared]) expect(left).toContain(store.keyOf(kept.path));
    expect(left).toContain("snapshots/scores.snap");
    // Rows stay: they are the lineage of versions, pruned or not.
    expect(await database.db.trainSnapshot.count({ where: { id: { in: [pruned.id, unused.id] } } })).toBe(2);
    expect((await pruneSnapshots(database.db, store, cutoff, run.id)).deleted).toEqual([]);
  });
});
