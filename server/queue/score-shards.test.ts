import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun } from "../pipeline/runner";
import { DEFAULT_TRAIN, trainPipeline } from "../recommender/pipeline";
import { championOf } from "../recommender/registry";
import { shardsOf, type ScoreShard } from "../recommender/score-shards";
import { openStore } from "../storage/open";
import { trainedEncore, type TrainedEncore } from "../testing/trained";
import { sharedRunQueue } from "./run-queue";
import { queueShardRunner } from "./score-queue";

const fixture = fileURLToPath(new URL("../testing/queue-worker.ts", import.meta.url));

let encore: TrainedEncore;
let worker: ChildProcess;
let job: Omit<ScoreShard, "users" | "ids">;
let userIds: Int32Array;
let reference: string;

/** The version's stored rows, in one string: equal strings, equal recommendations. */
async function rowsOf(versionId: number): Promise<string> {
  const { rows } = await encore.database.pool.query<{ row: string }>(
    "SELECT concat_ws('|', user_id, track_ids, scores, reasons) AS row FROM recommendations WHERE version_id = $1 ORDER BY user_id",
    [versionId],
  );
  return rows.map((r) => r.row).join("\n");
}

const emptied = () => encore.database.pool.query("DELETE FROM recommendations WHERE version_id = $1", [job.versionId]);

beforeAll(async () => {
  encore = await trainedEncore(7, { users: 60, tracks: 300, histories: 240 });
  const champion = (await championOf(encore.database.db))!.version;
  const snapshot = await encore.database.db.trainSnapshot.findUniqueOrThrow({ where: { id: champion.snapshotId } });
  job = {
    versionId: champion.id,
    store: openStore(encore.lake.dir).url,
    snapshot: { path: snapshot.path, digest: snapshot.digest },
    artefact: { path: champion.artefactPath!, digest: champion.artefactDigest },
    recentDays: 0,
  };
  const { rows } = await encore.database.pool.query<{ id: number }>("SELECT DISTINCT user_id AS id FROM recommendations WHERE version_id = $1 ORDER BY 1", [
    champion.id,
  ]);
  userIds = Int32Array.from(rows, (r) => r.id);
  // What the train run stored in one go, in its own process: the shards must give the same rows.
  reference = await rowsOf(champion.id);
  worker = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, DATABASE_URL: encore.database.url },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("taking runs from the queue") && resolve());
    worker.once("exit", (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
}, 180_000);

afterAll(async () => {
  if (worker?.exitCode === null) worker.kill("SIGKILL");
  if (encore) await (await sharedRunQueue(encore.database)).stop();
  await encore?.close();
});

describe("batch scores in shards through the queue", () => {
  it("a worker process scores every shard; the rows equal the train run's, and rows of listeners gone are replaced", async () => {
    await emptied();
    await encore.database.pool.query(
      "INSERT INTO recommendations (version_id, user_id, track_ids, scores, reasons) VALUES ($1, 2147483000, '{1}', '{1}', '[]')",
      [job.versionId],
    );
    const shards = shardsOf(job, userIds, 7);
    expect(shards.length).toBe(Math.ceil(userIds.length / 7));
    const done: number[] = [];
    const reports = await queueShardRunner({ pollMs: 100, help: false })(encore.database, shards, new AbortController().signal, (r) => done.push(r.users));
    expect(new Set(reports.map((r) => r.pid))).toEqual(new Set([worker.pid]));
    expect(done.reduce((a, b) => a + b, 0)).toBe(userIds.length);
    expect(await rowsOf(job.versionId)).toBe(reference);
  }, 120_000);

  it("the process that sent the shards scores them itself when no worker takes them", async () => {
    worker.kill("SIGTERM");
    await new Promise((resolve) => worker.once("exit", resolve));
    await emptied();
    const reports = await queueShardRunner({ pollMs: 100 })(encore.database, shardsOf(job, userIds, 20), new AbortController().signal, () => undefined);
    expect(new Set(reports.map((r) => r.pid))).toEqual(new Set([process.pid]));
    expect(await rowsOf(job.versionId)).toBe(reference);
  }, 120_000);

  it("a shard that keeps failing fails the scoring with its reason, after the queue's retries", async () => {
    const broken = shardsOf({ ...job, artefact: { ...job.artefact, digest: "0".repeat(64) } }, userIds, 1000);
    await expect(queueShardRunner({ pollMs: 100 })(encore.database, broken, new AbortController().signal, () => undefined)).rejects.toThrow(
      /the shard of users 0–\d+ failed: .*is damaged: its SHA-256 is/,
    );
  }, 120_000);

  it("a train run with shards stores its scores through them", async () => {
    const pipeline = trainPipeline({
      ...DEFAULT_TRAIN,
      store: openStore(encore.lake.dir),
      scoreRecentDays: 0,
      shards: { runner: queueShardRunner({ pollMs: 100 }), users: 10 },
    });
    const started = await startRun(encore.database, pipeline, { trigger: "cli", params: { force: true } });
    if (started.deduped) throw new Error("a run was already going");
    const run = await started.finished;
    expect(run.status).toBe("success");
    const score = await encore.database.db.taskRun.findFirstOrThrow({ where: { runId: run.id, task: "score" } });
    expect(score.details).toMatchObject({ shards: Math.ceil(userIds.length / 10) });
    const scored = (await championOf(encore.database.db))!.versionId;
    const { rows } = await encore.database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM recommendations WHERE version_id = $1", [scored]);
    expect(rows[0]!.n).toBe(userIds.length);
  }, 180_000);
});
