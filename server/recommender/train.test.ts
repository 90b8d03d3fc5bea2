import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PipelineRun } from "../db/generated/client";
import { retryFailedTasks, startRun, waitForRun } from "../pipeline/runner";
import type { Simulator } from "../simulator/server";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, startTestSimulator, taskRows, tempLake, testConfig } from "../testing/ingestion";
import type { Evaluation } from "./evaluate";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { alreadyTrained, DEFAULT_TRAIN, trainPipeline, type TrainConfig } from "./pipeline";
import { runSummary } from "../pipeline/summary";
import { runOutcome } from "../monitoring/run-outcome";
import { createOperator } from "../auth/accounts";
import { metricsRegistry } from "../monitoring/prometheus";
import { measureChampionOnline, modelConditions } from "./online";
import { REASONS_PER_USER } from "./reasons";
import { previousChampion, promote, rollback } from "./queries";
import { openStore } from "../storage/open";
import type { RunObserver } from "../pipeline/types";
import { als } from "./families/als";
import { trainingSteps } from "./train-family";
import { readOutput } from "../pipeline/outputs";
import { retentionOutput } from "./outputs";

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

const config = (overrides: Partial<TrainConfig> = {}): TrainConfig => ({ ...DEFAULT_TRAIN, store: openStore(lake.dir), ...overrides });

async function train(
  overrides: Partial<TrainConfig> = {},
  params: Record<string, unknown> = {},
  failing?: string,
  observer: RunObserver = {},
): Promise<PipelineRun> {
  const definition = trainPipeline(config(overrides));
  // A family that breaks, as one might (out of memory, a bug): the others must carry on.
  if (failing) definition.tasks.find((t) => t.name === failing)!.run = () => Promise.reject(new Error(`${failing} broke`));
  const started = await startRun(database, definition, { trigger: "cli", params }, observer);
  return started.deduped ? waitForRun(database, started.run.id) : started.finished;
}

async function ingested() {
  database = await createTestDatabase();
  simulator = await startTestSimulator("realistic", 5, {}, { tracks: 600, users: 300, histories: 3000, itemsPerHistory: 8 });
  expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");
}

const ndcg = (metrics: unknown) => (metrics as Evaluation).overall["ndcg@10"];

/** Listeners whose latest listen is at most `days` before anyone's latest, counted from the ingested history. */
async function recentListenerCount(days: number): Promise<number> {
  const [row] = await database.db.$queryRawUnsafe<{ n: number }[]>(
    `WITH latest AS (SELECT h.user_id, max(h.created_at) AS at FROM listen_history h JOIN users u ON u.id = h.user_id WHERE cardinality(h.items) > 0 GROUP BY h.user_id)
     SELECT count(*)::int AS n FROM latest WHERE at >= (SELECT max(at) FROM latest) - make_interval(days => $1)`,
    days,
  );
  return row!.n;
}

describe("the train pipeline", () => {
  it("trains every family on a snapshot, registers them, makes the best champion (beating popularity) and scores the recent listeners", async () => {
    await ingested();
    const alsProgress: [number, number | null][] = [];
    const run = await train({}, {}, undefined, { onProgress: (task, done, total) => task === "als" && alsProgress.push([done, total]) });
    expect(run.error).toBeNull();
    expect(run.status).toBe("success");
    const versions = await database.db.modelVersion.findMany({ orderBy: { id: "asc" } });
    expect(versions.map((v) => v.family).sort()).toEqual(["als", "ease", "hybrid", "item_knn", "popularity", "rp3beta"]);
    const champion = await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" }, include: { version: true } });
    const popularity = versions.find((v) => v.family === "popularity")!;
    expect(ndcg(champion.version.metrics)).toBe(Math.max(...versions.map((v) => ndcg(v.metrics))));
    expect(ndcg(champion.version.metrics)).toBeGreaterThan(ndcg(popularity.metrics));
    expect(champion.version.decision).toMatch(/first champion/);
    // What the run produced, as the run page, the Runs list, the CLI and the server log tell it.
    const outcome = await runOutcome(database.db, run);
    expect(outcome).toMatchObject({
      kind: "train",
      published: "champion",
      decision: { best: champion.versionId, promoted: true },
      scored: { versionId: champion.versionId },
    });
    expect(outcome?.kind === "train" && outcome.versions.map((v) => v.id).sort()).toEqual(versions.map((v) => v.id).sort());
    expect(await runSummary(database.db, run.id)).toMatch(
      new RegExp(
        `^train run ${run.id} success in [\\d.]+ s: registered popularity v\\d+ NDCG@10 0\\.\\d{4}, .*; version ${champion.versionId} promoted to champion \\(first champion: NDCG@10 0\\.\\d{4}\\)$`,
      ),
    );
    // Progress inside the long tasks: each ALS iteration and evaluation (2 candidates × (6 iterations + 1), 10 + 1, 4 warm), users scored.
    const tasks = await taskRows(database, run.id);
    expect(trainingSteps(als)).toBe(29);
    expect([tasks.als!.pagesDone, tasks.als!.pagesTotal]).toEqual([29, 29]);
    const alsSteps = alsProgress.map(([done]) => done);
    expect(new Set(alsSteps)).toEqual(new Set(Array.from({ length: 30 }, (_, i) => i)));
    expect(alsSteps).toEqual([...alsSteps].sort((a, b) => a - b));
    expect(new Set(alsProgress.map(([, total]) => total))).toEqual(new Set([29]));
    expect([tasks.hybrid!.pagesDone, tasks.hybrid!.pagesTotal]).toEqual([3, 3]);
    // Batch rows for the listeners of the snapshot's last 30 days only; the others are answered when they ask.
    const recent = await recentListenerCount(DEFAULT_TRAIN.scoreRecentDays);
    expect(recent).toBeGreaterThan(0);
    expect(recent).toBeLessThan(await database.db.user.count());
    expect([tasks.score!.pagesDone, tasks.score!.pagesTotal]).toEqual([recent, recent]);
    expect(await database.db.recommendation.count({ where: { versionId: champion.versionId } })).toBe(recent);
    // Each of a user's first 20 tracks says why: their own listening (tracks they heard), a favourite genre, or popularity.
    const sample = await database.db.recommendation.findMany({ where: { versionId: champion.versionId }, take: 50 });
    const kinds = new Set<string>();
    for (const r of sample) {
      const heard = new Set((await database.db.listenHistory.findMany({ where: { userId: r.userId } })).flatMap((h) => h.items));
      const reasons = r.reasons as { kind: string; trackIds?: number[] }[];
      expect(reasons).toHaveLength(Math.min(REASONS_PER_USER, r.trackIds.length));
      for (const reason of reasons) {
        kinds.add(reason.kind);
        for (const id of reason.trackIds ?? []) expect(heard.has(id)).toBe(true);
      }
    }
    expect(kinds.has("history")).toBe(true);
    // Nothing a user listened to is recommended to them.
    const { rows } = await database.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM recommendations r JOIN listen_history h ON h.user_id = r.user_id WHERE r.track_ids && h.items`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
    const audit = await database.db.auditLog.findFirst({ where: { action: "model.promote" } });
    expect(audit?.actorEmail).toBe(`train run ${run.id}`);
    // Prometheus sees the champion.
    const scraped = await metricsRegistry(database).metrics();
    expect(scraped).toContain(
      `encore_champion_offline_metric{version="${champion.versionId}",family="${champion.version.family}",metric="ndcg10"} ${ndcg(champion.version.metrics)}`,
    );
    expect(scraped).toMatch(/encore_champion_age_seconds \d/);
    // Retention ran last: the run's own versions keep their scores, its snapshot its file.
    expect(tasks.retention?.status).toBe("success");
    expect(await readOutput(database.db, run.id, retentionOutput)).toEqual({
      batchScores: { keptVersions: versions.map((v) => v.id), prunedVersions: [], rows: 0 },
      snapshots: { kept: 1, deleted: 0 },
    });
  }, 120_000);

  it("training again on the same data, code and seed is skipped as nothing new; forced, it gives the same metrics, and the same model is not promoted over itself", async () => {
    await ingested();
    const first = await train();
    const firstChampion = (await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId;
    const snapshotId = (await database.db.trainSnapshot.findFirstOrThrow()).id;
    const versions = await database.db.modelVersion.count();
    // A fresh snapshot of unchanged tables, and the same snapshot by id: both are nothing new.
    for (const params of [{}, { snapshotId }]) {
      const repeat = await train({}, params);
      expect(repeat.status).toBe("skipped");
      expect(repeat.error).toBe(
        `nothing new: snapshot ${snapshotId} already trained by run ${first.id} with the same code and seed (train with force to repeat it)`,
      );
    }
    expect(await database.db.modelVersion.count()).toBe(versions);
    expect(await database.db.trainSnapshot.count()).toBe(1);
    expect(await runSummary(database.db, first.id + 1)).toMatch(
      new RegExp(`^train run ${first.id + 1} skipped in [\\d.]+ s \\| nothing new: snapshot ${snapshotId}`),
    );
    // Another seed is something new.
    expect(await alreadyTrained(database, (await database.db.trainSnapshot.findFirstOrThrow()).digest, DEFAULT_TRAIN.seed + 1, 0)).toBeNull();
    const again = await train({}, { snapshotId, force: true });
    expect(again.status).toBe("success");
    const byRun = async (run: number) => Object.fromEntries((await database.db.modelVersion.findMany({ where: { runId: run } })).map((v) => [v.family, v]));
    const [a, b] = [await byRun(first.id), await byRun(again.id)];
    for (const family of Object.keys(a)) {
      expect(b[family]!.metrics).toEqual(a[family]!.metrics);
      expect(b[family]!.artefactDigest).toBe(a[family]!.artefactDigest);
    }
    // The same model cannot beat itself by the margin: the first run's champion stays.
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId).toBe(firstChampion);
    expect(Object.values(b).find((v) => v.decision)?.decision).toMatch(new RegExp(`^kept version ${firstChampion}: NDCG@10`));
    // The champion's configuration is the best candidate's: the candidate's evaluation stands for it, not a refit.
    const promoteLogs = (await taskRows(database, again.id)).promote!.logs;
    expect(promoteLogs.some((l) => l.includes(`version ${firstChampion} has the configuration of`))).toBe(true);
  }, 180_000);

  it("the data gate skips the run with the reason when the latest ingestion failed, and the champion stays", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator("realistic", 5, { errorRate: 1 }, { tracks: 100, users: 50, histories: 200, itemsPerHistory: 5 });
    const failed = await ingest(
      database,
      testConfig(simulator.url, lake.dir, { fetchPolicy: { timeoutMs: 500, budgetMs: 0, maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }),
    );
    expect(failed.status).toBe("failed");
    const run = await train();
    expect(run.status).toBe("skipped");
    expect(run.error).toBe(`data gate: the latest ingestion (run ${failed.id}) failed`);
    const tasks = await taskRows(database, run.id);
    expect(Object.values(tasks).every((t) => t.status === "skipped")).toBe(true);
    expect(await database.db.modelVersion.count()).toBe(0);
  });
});

describe("the train pipeline's own checks", () => {
  it("too few users with a history long enough to evaluate stop the run before anything is fitted", async () => {
    database = await createTestDatabase();
    simulator = await startTestSimulator("realistic", 5, {}, { tracks: 100, users: 60, histories: 12, itemsPerHistory: 4 });
    expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");
    const run = await train();
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/^snapshot: ERROR checks: evaluable_users: \d+ of \d+ users have 5 or more tracks/);
    const check = await database.db.checkResult.findFirstOrThrow({ where: { runId: run.id, check: "evaluable_users" } });
    expect(check.level).toBe("error");
    expect(await database.db.modelVersion.count()).toBe(0);
  });
});

describe("promotion and the registry", () => {
  it("a failing family leaves the others registered and blended; the run says which failed", async () => {
    await ingested();
    const run = await train({}, {}, "als");
    expect(run.status).toBe("failed");
    expect(run.error).toBe("als: als broke");
    const families = (await database.db.modelVersion.findMany({ where: { runId: run.id } })).map((v) => v.family).sort();
    expect(families).toEqual(["ease", "hybrid", "item_knn", "popularity", "rp3beta"]);
    const hybrid = await database.db.modelVersion.findFirstOrThrow({ where: { runId: run.id, family: "hybrid" } });
    expect(Object.keys(hybrid.params as object).sort()).toEqual(["weight.ease", "weight.item_knn", "weight.popularity", "weight.rp3beta"]);
    // A failed run changes nothing served; retrying its failed task publishes its decision.
    expect(await database.db.modelAlias.count()).toBe(0);
  }, 120_000);

  it("a run that fails after deciding (while scoring) leaves the champion and the served scores as they were; its retry publishes", async () => {
    await ingested();
    const run = await train({}, {}, "score");
    expect(run.status).toBe("failed");
    expect(run.error).toBe("score: score broke");
    const tasks = await taskRows(database, run.id);
    expect(tasks.promote?.status).toBe("success");
    expect(tasks.publish?.status).toBe("skipped");
    expect(await database.db.modelAlias.count()).toBe(0);
    expect(await database.db.auditLog.count({ where: { action: "model.promote" } })).toBe(0);
    const decided = await database.db.modelVersion.findFirstOrThrow({ where: { runId: run.id, decision: { not: null } } });
    expect(decided.decision).toMatch(/^first champion/);

    const retried = await (await retryFailedTasks(database, trainPipeline(config()), run.id)).finished;
    expect(retried.status).toBe("success");
    const champion = await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } });
    expect(champion.versionId).toBe(decided.id);
    expect(await database.db.recommendation.count({ where: { versionId: decided.id } })).toBe(await recentListenerCount(DEFAULT_TRAIN.scoreRecentDays));
  }, 120_000);

  it("the margin and the guardrails decide; people promote and roll back by hand, audited", async () => {
    await ingested();
    await train();
    const first = (await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId;
    const snapshotId = (await database.db.trainSnapshot.findFirstOrThrow()).id;
    // Any candidate clears a negative margin, but none passes a guardrail that allows no loss at all and asks for a gain.
    const guarded = await train({ promotionMargin: -0.5, guardrailDrop: -1 }, { snapshotId, force: true });
    const kept = await database.db.modelVersion.findFirstOrThrow({ where: { runId: guarded.id, decision: { not: null } } });
    expect(kept.decision).toMatch(new RegExp(`^kept version ${first}: coverage .* falls more than -100% below`));
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "challenger" } })).versionId).toBe(kept.id);
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId).toBe(first);
    const loose = await train({ promotionMargin: -0.5 }, { snapshotId, force: true });
    const replaced = await database.db.modelVersion.findFirstOrThrow({ where: { runId: loose.id, decision: { not: null } } });
    expect(replaced.decision).toMatch(new RegExp(`^replaced version ${first}: NDCG@10`));
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId).toBe(replaced.id);

    const operator = await createOperator(database.db, null, { email: "ops@example.test", name: "Ops", role: "operator", password: "ops-password-123" });
    const admin = { id: operator.id, email: operator.email, ip: "10.0.0.9" };
    const candidate = await database.db.modelVersion.findFirstOrThrow({ where: { family: "popularity" } });
    await promote(database.db, candidate.id, admin, "checking the baseline in production");
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId).toBe(candidate.id);
    expect(await previousChampion(database.db)).toBe(replaced.id);
    await rollback(database.db, admin, "baseline is worse");
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId).toBe(replaced.id);
    const audit = await database.db.auditLog.findMany({ where: { action: "model.promote", actorEmail: admin.email }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.detail)).toEqual([
      { alias: "champion", from: replaced.id, to: candidate.id, reason: "checking the baseline in production" },
      { alias: "champion", from: candidate.id, to: replaced.id, reason: "rollback: baseline is worse" },
    ]);
  }, 240_000);

  it("a train process killed mid-run leaves the registry as it was; the next run finishes the work, its families on worker threads", async () => {
    await ingested();
    await train();
    const champion = (await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId;
    const versions = await database.db.modelVersion.count();
    const jobEnv = () => ({ ...process.env, DATABASE_URL: database.url, DATA_LAKE_DIR: lake.dir, NODE_ENV: "test" as const });
    const job = spawn(process.execPath, ["--import", "tsx", "cron/cli.ts", "train", "--force"], { env: jobEnv(), stdio: "ignore" });
    const running = async () =>
      (await database.db.taskRun.findFirst({ where: { task: "als", status: "running", run: { status: "running", id: { gt: 0 } } } })) !== null;
    for (let i = 0; i < 600 && !(await running()); i++) await sleep(50);
    expect(await running()).toBe(true);
    job.kill("SIGKILL");
    await new Promise((resolve) => job.once("exit", resolve));
    expect(await database.db.modelVersion.count()).toBe(versions);
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId).toBe(champion);
    // The next run, as `npm run job -- train` runs it: to the end, its families on worker threads.
    const rerun = spawn(process.execPath, ["--import", "tsx", "cron/cli.ts", "train", "--force"], { env: jobEnv(), stdio: "ignore" });
    expect(await new Promise((resolve) => rerun.once("exit", resolve))).toBe(0);
    const next = await database.db.pipelineRun.findFirstOrThrow({ where: { pipeline: "train" }, orderBy: { id: "desc" } });
    expect(next.status).toBe("success");
    const logs = Object.values(await taskRows(database, next.id)).flatMap((t) => t.logs);
    expect(logs.filter((l) => l.includes("no worker thread here"))).toEqual([]);
    const abandoned = await database.db.pipelineRun.findFirstOrThrow({ where: { pipeline: "train", id: { lt: next.id } }, orderBy: { id: "desc" } });
    expect(abandoned).toMatchObject({ status: "failed" });
    expect(abandoned.error).toMatch(new RegExp(`^abandoned: process ${job.pid} on .+ stopped; last sign of life at `));
  }, 240_000);
});

describe("the served model, watched", () => {
  it("after an ingestion it is judged on the new listening, stored per day, and alerts fire past their thresholds", async () => {
    await ingested();
    expect((await train()).status).toBe("success");
    const champion = (await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" }, include: { version: true } })).version;
    // A new day of listening, ingested.
    simulator!.advance(2);
    const next = await ingest(database, testConfig(simulator!.url, lake.dir));
    expect(next.status).toBe("success");
    const online = await measureChampionOnline(database, next.id, new Date("2026-11-28T08:00:00Z"));
    expect(online).not.toBeNull();
    expect(online!.users).toBeGreaterThan(10);
    expect(online!.metrics["ndcg@10"]).toBeGreaterThan(0);
    const stored = await database.db.modelOnlineMetric.findUniqueOrThrow({
      where: { versionId_day: { versionId: champion.id, day: new Date("2026-11-28T00:00:00Z") } },
    });
    expect(stored.users).toBe(online!.users);
    expect(await metricsRegistry(database).metrics()).toContain(`encore_champion_online_metric{metric="users"} ${online!.users}`);

    const quiet = await modelConditions({ championMaxAgeDays: 7, onlineDropShare: 1, newVersionDropShare: 1 })(database, new Date());
    expect(quiet.holding).toEqual([]);
    const loud = await modelConditions({ championMaxAgeDays: 0, onlineDropShare: 0, newVersionDropShare: 1 })(database, new Date(Date.now() + 86_400_000));
    expect(loud.holding.map((c) => c.incidentKey).sort()).toEqual(
      ["champion_stale:train", ...(online!.metrics["ndcg@10"] < ndcg(champion.metrics) ? ["model_online_drop:train"] : [])].sort(),
    );
  }, 180_000);
});
