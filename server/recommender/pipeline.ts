import { z } from "zod";
import type { Database } from "../db/client";
import type { ModelVersion } from "../db/generated/client";
import { readJson, writeJson } from "../db/json";
import { sortedJson } from "../lib/sorted-json";
import { INGEST_PIPELINE } from "../ingestion/pipeline";
import { MissingOutputError, readOutput, writeOutput } from "../pipeline/outputs";
import {
  FAMILY_OUTPUTS,
  promoteOutput,
  publishOutput,
  registerOutput,
  retentionOutput,
  scoreOutput,
  snapshotOutput,
  versionTrainingSchema,
  type FamilyOutcome,
} from "./outputs";
import { SkipRunError, type PipelineDefinition, type RunResource, type TaskContext } from "../pipeline/types";
import { loadArtefact, modelFromArrays, saveArtefact } from "./artefacts";
import { scoreInWorker, trainFamilyInWorker } from "./in-worker";
import { trainFamily, trainingSteps, type FamilyTraining } from "./train-family";
import { inCatalogue } from "./catalogue";
import { evaluationSchema, versionEvaluation, versionNdcg10 } from "./evaluate";
import { hybridModel, tuneWeights } from "./families/hybrid";
import { FAMILIES, type Family, type FamilyDefinition, type Model, type Params } from "./families/types";
import { championOf, codeVersion, pruneArtefacts, setAlias } from "./registry";
import { pruneBatchScores, pruneSnapshots, servableVersions } from "./retention";
import { batchScore, countScored, recentListeners, TOP_PER_USER, type ScoreHelper } from "./scoring";
import { shardsOf, type ShardRunner } from "./score-shards";
import { BASE_FAMILIES, familyDefinition } from "./families/index";
import { DEFAULT_TUNING_LISTENERS, TrainSession } from "./session";
import { Pacer } from "./pacer";
import { loadSnapshot, takeSnapshot } from "./snapshot";
import { SNAPSHOT_CHECKS, snapshotFacts } from "./checks";
import { checkTask } from "../pipeline/checks";
import type { ObjectStore } from "../storage/store";

export const TRAIN_PIPELINE = "train";

export interface TrainConfig {
  /** where snapshots and model artefacts go */
  store: ObjectStore;
  seed: number;
  /** users averaged when tuning on validation, and when reporting on the test split */
  tuneUsers: number;
  evalUsers: number;
  /** a candidate must beat the champion's NDCG@10 by this share to replace it */
  promotionMargin: number;
  /** and may lose at most this share of the champion's coverage and recall@20 */
  guardrailDrop: number;
  /** artefacts kept on disk (aliased versions always are) */
  keepArtefacts: number;
  /** days snapshot files are kept (those of versions whose artefact is kept always are) */
  keepSnapshotDays: number;
  /** each listener's most recent listens a snapshot reads */
  listensPerUser: number;
  /** listeners the tuning fits learn from, at most (a sample drawn with the seed when there are more) */
  tuningListeners: number;
  /** batch scores only for listeners whose latest listen is at most this many days before the snapshot's latest (0: all) */
  scoreRecentDays: number;
  /** batch scoring in shards of this many users, shared by the queue's workers (JOB_QUEUE=on); in this process without it */
  shards?: { runner: ShardRunner; users: number };
}

export const DEFAULT_TRAIN: Omit<TrainConfig, "store"> = {
  seed: 42,
  tuneUsers: 600,
  evalUsers: 5000,
  promotionMargin: 0.01,
  guardrailDrop: 0.1,
  keepArtefacts: 20,
  keepSnapshotDays: 30,
  listensPerUser: 5000,
  tuningListeners: DEFAULT_TUNING_LISTENERS,
  scoreRecentDays: 30,
};

/** `force`: train even when this snapshot was already trained with the same code and seed (the versions would repeat the last ones). */
export const trainParams = z.object({ snapshotId: z.number().int().positive().optional(), force: z.boolean().optional() });

/** The data gate: no training on data whose latest ingestion failed or tripped an ERROR check. */
async function assertDataGate(database: Database): Promise<void> {
  const latest = await database.db.pipelineRun.findFirst({
    where: { pipeline: INGEST_PIPELINE, status: { in: ["success", "failed"] } },
    orderBy: { id: "desc" },
    include: { checks: { where: { level: "error" }, select: { check: true, dataset: true } } },
  });
  if (!latest) throw new SkipRunError("data gate: no ingestion has run yet");
  if (latest.status === "failed") throw new SkipRunError(`data gate: the latest ingestion (run ${latest.id}) failed`);
  if (latest.checks.length)
    throw new SkipRunError(
      `data gate: the latest ingestion (run ${latest.id}) tripped ERROR checks: ${latest.checks.map((c) => `${c.check}(${c.dataset})`).join(", ")}`,
    );
}

/**
 * The successful train run that already trained a snapshot with these exact contents, code and seed
 * (retraining would add versions identical to its own), and its snapshot.
 */
export async function alreadyTrained(
  database: Database,
  digest: string,
  seed: number,
  exceptRunId: number,
): Promise<{ runId: number; snapshotId: number } | null> {
  const version = await database.db.modelVersion.findFirst({
    where: {
      codeVersion: codeVersion(),
      snapshot: { digest },
      runId: { not: exceptRunId },
      run: { status: "success" },
      training: { path: ["seed"], equals: seed },
    },
    orderBy: { id: "desc" },
    select: { runId: true, snapshotId: true },
  });
  return version?.runId ? { runId: version.runId, snapshotId: version.snapshotId } : null;
}

async function snapshotTask(ctx: TaskContext, config: TrainConfig) {
  const { snapshotId, force } = trainParams.parse(ctx.run.params ?? {});
  let taken: Awaited<ReturnType<typeof loadSnapshot>>;
  if (snapshotId !== undefined) {
    taken = await loadSnapshot(ctx.database, config.store, snapshotId);
    ctx.log(`retraining on snapshot ${taken.row.id} (${taken.row.digest.slice(0, 12)}…)`);
  } else {
    await assertDataGate(ctx.database);
    taken = await takeSnapshot(ctx.database, config.store, ctx.run.id, { listensPerUser: config.listensPerUser });
    const { row } = taken;
    ctx.log(
      `snapshot ${row.id}: ${row.users} users, ${row.tracks} tracks, ${row.listens} listens (${row.pairs} user–track pairs; ${row.listensLeftOut} older listens past ${row.listenLimit} per listener left out), ${row.digest.slice(0, 12)}…`,
    );
  }
  const trained = force ? null : await alreadyTrained(ctx.database, taken.row.digest, config.seed, ctx.run.id);
  if (trained) {
    // A snapshot taken only to find nothing new is not kept (its file is content-addressed, shared with the earlier one).
    if (snapshotId === undefined) await ctx.database.db.trainSnapshot.delete({ where: { id: taken.row.id } });
    throw new SkipRunError(
      `nothing new: snapshot ${trained.snapshotId} already trained by run ${trained.runId} with the same code and seed (train with force to repeat it)`,
    );
  }
  writeOutput(ctx, snapshotOutput, { snapshotId: taken.row.id, seed: config.seed });
  // The train pipeline's own checks: an ERROR stops the run before anything is fitted.
  await checkTask(ctx, SNAPSHOT_CHECKS, snapshotFacts(taken.snapshot));
}

const snapshotIdOf = async (ctx: TaskContext) => (await readOutput(ctx.database.db, ctx.run.id, snapshotOutput)).snapshotId;

/** The run's shared splits and fitted models, from its snapshot: made by the first task that needs them, freed when the run ends. */
const trainSession = (config: TrainConfig): RunResource<TrainSession> => ({
  name: "train session",
  async create(ctx) {
    const { row, snapshot } = await loadSnapshot(ctx.database, config.store, await snapshotIdOf(ctx));
    return TrainSession.onSharedMemory(row, snapshot, config.seed, new Pacer(ctx.signal), config.tuningListeners);
  },
});

/** Wall and CPU time of `work` (CPU is the process's: other tasks of the run interleave with it). */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function finishFamily(
  ctx: TaskContext,
  config: TrainConfig,
  outcome: Omit<FamilyOutcome, "artefact" | "training">,
  final: Model,
  timing: { seconds: number; cpuSeconds: number },
  curve?: number[],
) {
  const artefact = await saveArtefact(config.store, final);
  const result: FamilyOutcome = { ...outcome, training: { ...timing, peakRssBytes: process.resourceUsage().maxRSS * 1024, curve }, artefact };
  ctx.log(
    `${outcome.family}: NDCG@10 ${outcome.test.overall["ndcg@10"].toFixed(4)}, recall@20 ${outcome.test.overall["recall@20"].toFixed(4)} on ${outcome.test.overall.users} test users; ${timing.seconds.toFixed(1)} s`,
  );
  writeOutput(ctx, FAMILY_OUTPUTS[outcome.family], { outcome: result });
}

/**
 * Tunes a family on the validation split, reports it on the test split, refits it on everything and
 * stores it; on a worker thread when the process can run one, its models then adopted for the blend.
 */
async function familyTask(ctx: TaskContext, config: TrainConfig, sessionResource: RunResource<TrainSession>, definition: FamilyDefinition) {
  const session = await ctx.resource(sessionResource);
  const users = { tune: config.tuneUsers, evaluate: config.evalUsers };
  const { value, seconds, cpuSeconds } = await measured(async (): Promise<FamilyTraining> => {
    const onStep = (done: number, total: number) => ctx.progress(done, total);
    ctx.progress(0, trainingSteps(definition));
    const job = { family: definition.family, snapshot: session.snapshot, splits: session.splits, seed: config.seed, users };
    const threaded = await trainFamilyInWorker(job, ctx.signal, (step) => onStep(step.done, step.total));
    if ("unavailable" in threaded) {
      ctx.log(`training on the job's own thread: no worker thread here (${threaded.unavailable.slice(0, 120)})`);
      return trainFamily(session, definition, users, onStep);
    }
    const models = Object.fromEntries(
      threaded.stages.map((s) => {
        const model = { ...modelFromArrays(definition.family, threaded.params, session.snapshot.trackIds, s.arrays), curve: s.curve };
        session.adopt(definition, threaded.params, s.stage, model);
        return [s.stage, model];
      }),
    ) as FamilyTraining["models"];
    return { params: threaded.params, tuning: threaded.tuning, test: threaded.test, models };
  });
  await finishFamily(
    ctx,
    config,
    { family: definition.family, params: value.params, tuning: value.tuning, test: value.test },
    value.models.final,
    { seconds, cpuSeconds },
    value.models.test.curve,
  );
}

/** The outcomes of this run's family tasks that succeeded (latest try of each). */
async function familyOutcomes(ctx: TaskContext): Promise<FamilyOutcome[]> {
  const read = await Promise.all(
    FAMILIES.map((family) =>
      readOutput(ctx.database.db, ctx.run.id, FAMILY_OUTPUTS[family]).catch((error: unknown) =>
        error instanceof MissingOutputError ? null : Promise.reject(error),
      ),
    ),
  );
  return read.filter((o) => o !== null).map((o) => o.outcome);
}

/** A weighted blend of whichever families trained, weights chosen on validation. */
async function hybridTask(ctx: TaskContext, config: TrainConfig, sessionResource: RunResource<TrainSession>) {
  const session = await ctx.resource(sessionResource);
  const trained = (await familyOutcomes(ctx)).filter((o) => o.family !== "hybrid");
  const definitions = trained.map((o) => ({ definition: familyDefinition(o.family), params: o.params }));
  if (definitions.length < 2) throw new Error(`a blend needs two families; only ${definitions.map((d) => d.definition.family).join(", ") || "none"} trained`);
  // Steps: weights tuned on validation, the blend evaluated on test, refitted on everything.
  ctx.progress(0, 3);
  const { value, seconds, cpuSeconds } = await measured(async () => {
    const stage = (s: "validation" | "test" | "final") => Promise.all(definitions.map((d) => session.fit(d.definition, d.params, s)));
    const { weights, ndcg } = await tuneWeights(
      await stage("validation"),
      session.validation.data.matrix,
      session.validation.heldOut!,
      config.tuneUsers,
      session.pace,
    );
    // The validation fits served tuning only: their memory goes back before the blend is evaluated and scored.
    session.forgetStage("validation");
    ctx.progress(1, 3);
    const blend = async (s: "test" | "final") => hybridModel((await stage(s)).map((model, k) => ({ model, weight: weights[k]! })));
    const test = await session.evaluate(await blend("test"), "test", config.evalUsers);
    ctx.progress(2, 3);
    const final = await blend("final");
    ctx.progress(3, 3);
    return { weights, ndcg, test, final };
  });
  ctx.log(`blend weights: ${definitions.map((d, k) => `${d.definition.family} ${value.weights[k]}`).join(", ")} (validation NDCG@10 ${value.ndcg.toFixed(4)})`);
  const components = definitions.map((d, k) => ({ family: d.definition.family, params: d.params, weight: value.weights[k]! }));
  await finishFamily(
    ctx,
    config,
    { family: "hybrid", params: value.final.params, tuning: [{ params: value.final.params, ndcg10: value.ndcg }], test: value.test, components },
    value.final,
    { seconds, cpuSeconds },
  );
}

/** Each trained family becomes an immutable version (a retried run registers each family once). */
async function registerTask(ctx: TaskContext, config: TrainConfig) {
  const outcomes = await familyOutcomes(ctx);
  if (outcomes.length === 0) throw new Error("no family trained");
  const snapshotId = await snapshotIdOf(ctx);
  const baseline = outcomes.find((o) => o.family === "popularity")?.test ?? null;
  const versions: Partial<Record<Family, number>> = {};
  for (const o of outcomes) {
    const existing = await ctx.database.db.modelVersion.findFirst({ where: { runId: ctx.run.id, family: o.family }, select: { id: true } });
    const version =
      existing ??
      (await ctx.database.db.modelVersion.create({
        data: {
          family: o.family,
          params: o.params,
          codeVersion: codeVersion(),
          snapshotId,
          runId: ctx.run.id,
          metrics: writeJson(evaluationSchema, o.test),
          baselineMetrics: baseline ? writeJson(evaluationSchema, baseline) : {},
          // The seed with the snapshot and code makes a version reproducible (and a repeat of it detectable).
          training: writeJson(versionTrainingSchema, {
            ...o.training,
            seed: config.seed,
            tuning: o.tuning,
            ...(o.components ? { components: o.components } : {}),
          }),
          artefactPath: o.artefact.path,
          artefactDigest: o.artefact.digest,
          artefactBytes: o.artefact.bytes,
        },
        select: { id: true },
      }));
    versions[o.family] = version.id;
  }
  ctx.log(
    `registered ${Object.entries(versions)
      .map(([f, id]) => `${f} as version ${id}`)
      .join(", ")}`,
  );
  writeOutput(ctx, registerOutput, { versions });
}

/** What refitting a version on a split depends on: its family, parameters, and a blend's parts and weights. */
function configurationOf(version: ModelVersion): string | null {
  const training = readJson("model_versions.training", versionTrainingSchema, version.training);
  // Factors fitted outside Encore are not refitted from parameters.
  if (training.imported) return null;
  return sortedJson({ family: version.family, params: version.params, components: training.components ?? null });
}

/** A version's configuration (family and parameters; a blend's components) fitted on this run's test-split training data. */
async function refitOnTestSplit(session: TrainSession, version: ModelVersion): Promise<Model> {
  if (version.family !== "hybrid") return session.fit(familyDefinition(version.family), version.params as Params, "test");
  const components = readJson("model_versions.training", versionTrainingSchema, version.training).components ?? [];
  return hybridModel(
    await Promise.all(components.map(async (c) => ({ model: await session.fit(familyDefinition(c.family), c.params, "test"), weight: c.weight }))),
  );
}

/**
 * Decides whether the best candidate of the run replaces the champion: when it beats the champion's
 * NDCG@10 by the margin on this run's test split (the champion's configuration refitted on this run's
 * training data, so neither has seen the held-out listens), and loses no more than the allowed share
 * of coverage and recall@20. Nothing served changes here: publish does that when the run succeeds.
 */
async function promoteTask(ctx: TaskContext, config: TrainConfig, sessionResource: RunResource<TrainSession>) {
  const { versions } = await readOutput(ctx.database.db, ctx.run.id, registerOutput);
  const candidates = await ctx.database.db.modelVersion.findMany({ where: { id: { in: Object.values(versions) } } });
  const best = candidates.reduce((a, b) => (versionNdcg10(b) > versionNdcg10(a) ? b : a));
  const metrics = versionEvaluation(best);
  const champion = await championOf(ctx.database.db);
  let decision: string;
  let promote = false;
  if (!champion) {
    promote = true;
    decision = `first champion: NDCG@10 ${metrics.overall["ndcg@10"].toFixed(4)}`;
  } else {
    // The champion's own artefact has seen this split's held-out listens: its configuration is refitted on this run's training split instead.
    // When it is the best candidate's (a daily retrain that chose the same), that refit is the candidate's own test fit, already evaluated.
    const configuration = configurationOf(champion.version);
    const same = configuration !== null && configuration === configurationOf(best);
    const session = same ? null : await ctx.resource(sessionResource);
    const current = session ? await session.evaluate(await refitOnTestSplit(session, champion.version), "test", config.evalUsers) : metrics;
    if (same) ctx.log(`version ${champion.versionId} has the configuration of ${best.family} (version ${best.id}): its evaluation on this split is that one's`);
    const [mine, theirs] = [metrics.overall["ndcg@10"], current.overall["ndcg@10"]];
    const drops = [
      ["coverage", metrics.coverage, current.coverage],
      ["recall@20", metrics.overall["recall@20"], current.overall["recall@20"]],
    ].filter(([, m, c]) => (m as number) < (c as number) * (1 - config.guardrailDrop));
    if (mine < theirs * (1 + config.promotionMargin))
      decision = `kept version ${champion.versionId}: NDCG@10 ${mine.toFixed(4)} does not beat its ${theirs.toFixed(4)} by ${config.promotionMargin * 100}% on this split`;
    else if (drops.length)
      decision = `kept version ${champion.versionId}: ${drops.map(([name, m, c]) => `${name} ${(m as number).toFixed(4)} falls more than ${config.guardrailDrop * 100}% below ${(c as number).toFixed(4)}`).join("; ")}`;
    else {
      promote = true;
      decision = `replaced version ${champion.versionId}: NDCG@10 ${mine.toFixed(4)} against ${theirs.toFixed(4)} on this split`;
    }
  }
  await ctx.database.db.modelVersion.update({ where: { id: best.id }, data: { decision } });
  ctx.log(`${best.family} (version ${best.id}) ${promote ? "to be promoted when the run succeeds" : "not promoted"}: ${decision}`);
  writeOutput(ctx, promoteOutput, { best: best.id, promoted: promote, decision, championWas: champion?.versionId ?? null });
}

/**
 * The top 100 of the version that will serve (the candidate to be promoted, else the champion) for
 * the snapshot's recent listeners, stored before anything serves it; half of the users on a worker
 * thread, or in shards shared by the queue's workers.
 */
async function scoreTask(ctx: TaskContext, config: TrainConfig, sessionResource: RunResource<TrainSession>) {
  const { best, promoted } = await readOutput(ctx.database.db, ctx.run.id, promoteOutput);
  const version = promoted ? await ctx.database.db.modelVersion.findUniqueOrThrow({ where: { id: best } }) : (await championOf(ctx.database.db))?.version;
  if (!version) throw new Error("no champion to score with");
  const session = await ctx.resource(sessionResource);
  const artefact = { path: version.artefactPath!, digest: version.artefactDigest };
  const snapshot = { path: session.snapshotRow.path, digest: session.snapshotRow.digest };
  const recentDays = config.scoreRecentDays;
  const recent = recentListeners(session.snapshot, recentDays);
  const users = countScored(recent, [0, session.snapshot.userIds.length]);
  const whom = recentDays ? `the ${users} listeners of the last ${recentDays} days (of ${session.snapshot.userIds.length})` : `${users} users`;
  if (config.shards) {
    const job = { versionId: version.id, store: config.store.url, snapshot, artefact, recentDays };
    const shards = shardsOf(job, session.snapshot.userIds, config.shards.users);
    ctx.log(`scoring ${whom} in ${shards.length} shards of up to ${config.shards.users}, shared by the queue's workers`);
    let done = 0;
    const reports = await config.shards.runner(ctx.database, shards, ctx.signal, (report) => ctx.progress((done += report.users), users));
    const processes = new Set(reports.map((r) => `${r.host} pid ${r.pid}`));
    ctx.log(`stored the top ${TOP_PER_USER} of version ${version.id} for ${users} users; shards scored by ${[...processes].join(", ")}`);
    ctx.detail({ shards: reports.length, scoredBy: [...processes] });
    writeOutput(ctx, scoreOutput, { scoredVersion: version.id, users });
    return;
  }
  const model = inCatalogue(await loadArtefact(config.store, artefact), session.snapshot.trackIds);
  const helper: ScoreHelper = async (range, onLines) => {
    const job = {
      versionId: version.id,
      store: config.store.url,
      artefact,
      users: range,
      snapshot: session.snapshot,
      matrix: session.final.data.matrix,
      recent,
    };
    const scored = await scoreInWorker(job, ctx.signal, onLines);
    if ("unavailable" in scored) ctx.log(`scoring on the job's own thread only: no worker thread here (${scored.unavailable.slice(0, 120)})`);
    return !("unavailable" in scored);
  };
  ctx.log(`scoring ${whom}`);
  const stored = await batchScore(ctx.database, version.id, model, session.snapshot, session.final.data.matrix, session.pace, {
    recent,
    helper,
    onProgress: (done, total) => ctx.progress(done, total),
  });
  ctx.log(`stored the top ${stored.perUser} of version ${version.id} for ${stored.users} users`);
  writeOutput(ctx, scoreOutput, { scoredVersion: version.id, users: stored.users });
}

/**
 * The run's decision takes effect: the candidate becomes champion (or waits as challenger, e.g. for
 * an A/B experiment against the champion). Runs last, only when every other task succeeded, so a run
 * that fails or dies never changes what is served. A champion someone changed meanwhile is left alone.
 */
async function publishTask(ctx: TaskContext, config: TrainConfig) {
  const { best, promoted, decision, championWas } = await readOutput(ctx.database.db, ctx.run.id, promoteOutput);
  const current = (await championOf(ctx.database.db))?.versionId ?? null;
  const actor = { email: `train run ${ctx.run.id}` };
  if (promoted && current !== championWas) {
    ctx.log(`version ${best} not promoted: the champion changed during the run (version ${championWas ?? "none"}, now ${current}); it waits as challenger`);
    await setAlias(ctx.database.db, "challenger", best, actor, `${decision}; the champion changed during the run`);
    writeOutput(ctx, publishOutput, { alias: "challenger", championChanged: true });
  } else {
    await setAlias(ctx.database.db, promoted ? "champion" : "challenger", best, actor, decision);
    ctx.log(`version ${best} is now ${promoted ? "champion" : "challenger"}`);
    writeOutput(ctx, publishOutput, { alias: promoted ? "champion" : "challenger" });
  }
  const pruned = await pruneArtefacts(ctx.database.db, config.store, config.keepArtefacts);
  if (pruned.length) ctx.log(`pruned the artefacts of versions ${pruned.join(", ")}`);
}

/**
 * After publish, so that what it keeps follows the aliases this run set and the artefacts it pruned:
 * deletes the batch scores no served or judged version needs, and the snapshot files past
 * `keepSnapshotDays` that no kept version was trained on. Idempotent: a retry finishes what a crash left.
 */
async function retentionTask(ctx: TaskContext, config: TrainConfig) {
  const kept = await servableVersions(ctx.database.db, ctx.run.id);
  const scores = await pruneBatchScores(ctx.database, kept, { signal: ctx.signal, onDeleted: (rows) => ctx.progress(rows, null) });
  ctx.log(`batch scores: kept versions ${kept.join(", ") || "none"}; deleted ${scores.rows} rows of versions ${scores.versions.join(", ") || "none"}`);
  const cutoff = new Date(Date.now() - config.keepSnapshotDays * 86_400_000);
  const snapshots = await pruneSnapshots(ctx.database.db, config.store, cutoff, ctx.run.id);
  ctx.log(
    `snapshots: kept ${snapshots.kept} files, deleted ${snapshots.deleted.length}${snapshots.deleted.length ? ` (${snapshots.deleted.join(", ")})` : ""}`,
  );
  writeOutput(ctx, retentionOutput, {
    batchScores: { keptVersions: kept, prunedVersions: scores.versions, rows: scores.rows },
    snapshots: { kept: snapshots.kept, deleted: snapshots.deleted.length },
  });
}

/**
 * The train pipeline: snapshot → one task per family (a failing family leaves the others) → register
 * → promote (decide) → score → publish (when everything else succeeded) → retention. The data gate in the
 * snapshot task skips the whole run when the data is not fit.
 */
export function trainPipeline(config: TrainConfig): PipelineDefinition {
  const session = trainSession(config);
  const bases = BASE_FAMILIES.map((definition) => ({
    name: definition.family,
    needs: ["snapshot"],
    run: (ctx: TaskContext) => familyTask(ctx, config, session, definition),
  }));
  const families = [...bases.map((b) => b.name), "hybrid"];
  return {
    name: TRAIN_PIPELINE,
    tasks: [
      { name: "snapshot", run: (ctx) => snapshotTask(ctx, config) },
      ...bases,
      { name: "hybrid", needs: ["snapshot"], after: bases.map((b) => b.name), run: (ctx) => hybridTask(ctx, config, session) },
      { name: "register", needs: ["snapshot"], after: families, run: (ctx) => registerTask(ctx, config) },
      { name: "promote", needs: ["register"], run: (ctx) => promoteTask(ctx, config, session) },
      { name: "score", needs: ["promote"], run: (ctx) => scoreTask(ctx, config, session) },
      { name: "publish", needs: ["snapshot", ...families, "register", "promote", "score"], run: (ctx) => publishTask(ctx, config) },
      { name: "retention", needs: ["publish"], run: (ctx) => retentionTask(ctx, config) },
    ],
  };
}
