import type { Env } from "../env";
import type { Job, JobContext } from "./types";
import { ingestionConfig } from "../ingestion/config";
import { INGEST_PIPELINE, ingestionPipeline } from "../ingestion/pipeline";
import { alertPolicy, evaluateAlerts } from "../pipeline/alerts";
import { measureChampionOnline, modelConditions } from "../recommender/online";
import { retryFailedTasks, startRun, type StartedRun } from "../pipeline/runner";
import { modelAlertPolicy, trainConfig } from "../recommender/config";
import { TRAIN_PIPELINE, trainPipeline } from "../recommender/pipeline";
import { forgetTrainSession } from "../recommender/session";
import { ANALYZE_PIPELINE, analyzePipeline, experimentConditions } from "../experiments/pipeline";
import { DEMO_PIPELINE, demoPipeline } from "../experiments/demo";

/** Every job Encore runs; the CLI, the cron routes, the console and the scheduler all start jobs from here. */
export const JOBS: Record<string, Job> = {
  ingest: {
    name: "ingest",
    description: "Ingest tracks, users and listening history from the MooVitamix API",
    pipeline: INGEST_PIPELINE,
    schedule: (env) => env.INGEST_SCHEDULE,
    start: (ctx, request, observer) => withAlerts(ctx, "ingest", startRun(ctx.database, ingestionPipeline(ingestionConfig(ctx.env)), request, observer)),
    retry: (ctx, runId) => withAlerts(ctx, "ingest", retryFailedTasks(ctx.database, ingestionPipeline(ingestionConfig(ctx.env)), runId)),
    then: ["train", "analyze"],
    // The served model, judged on the listening this run brought.
    afterSuccess: async (ctx, run) => {
      const online = await measureChampionOnline(ctx.database, run.id);
      if (online) console.log(`[models] version ${online.versionId} on new listening of ${online.users} users: NDCG@10 ${online.metrics["ndcg@10"].toFixed(4)}`);
      await evaluateAlerts(ctx.database, TRAIN_PIPELINE, alertPolicy(ctx.env), new Date(), modelConditions(modelAlertPolicy(ctx.env)));
    },
  },
  train: {
    name: "train",
    description: "Train every model family on a snapshot, evaluate, register, promote the best and score every user",
    pipeline: TRAIN_PIPELINE,
    schedule: (env) => env.TRAIN_SCHEDULE,
    start: (ctx, request, observer) => withAlerts(ctx, "train", startRun(ctx.database, trainPipeline(trainConfig(ctx.env)), request, observer)),
    retry: (ctx, runId) => withAlerts(ctx, "train", retryFailedTasks(ctx.database, trainPipeline(trainConfig(ctx.env)), runId)),
    ownProcess: true,
    conditions: (env) => modelConditions(modelAlertPolicy(env)),
  },
  analyze: {
    name: "analyze",
    description: "Recompute every running experiment's results and keep the day's snapshot",
    pipeline: ANALYZE_PIPELINE,
    schedule: (env) => env.ANALYZE_SCHEDULE,
    start: (ctx, request, observer) => withAlerts(ctx, "analyze", startRun(ctx.database, analyzePipeline({ deadlineUtc: ctx.env.ALERT_DEADLINE_UTC }), request, observer)),
    retry: (ctx, runId) => withAlerts(ctx, "analyze", retryFailedTasks(ctx.database, analyzePipeline({ deadlineUtc: ctx.env.ALERT_DEADLINE_UTC }), runId)),
    ownProcess: true,
    conditions: () => experimentConditions,
  },
  demo: {
    name: "demo",
    description: "Run the champion against popularity for a week of the built-in simulator, whose listeners answer the recommendations",
    pipeline: DEMO_PIPELINE,
    start: (ctx, request, observer) => withAlerts(ctx, "demo", startRun(ctx.database, demoPipeline(demoConfig(ctx.env)), request, observer)),
    retry: (ctx, runId) => withAlerts(ctx, "demo", retryFailedTasks(ctx.database, demoPipeline(demoConfig(ctx.env)), runId)),
    ownProcess: true,
  },
};

const demoConfig = (env: Env) => ({ ingestion: ingestionConfig(env), deadlineUtc: env.ALERT_DEADLINE_UTC, days: 7 });

/** When a run ends, its outcome is judged for alerts at once (the scheduler also does so every minute), and a success has its follow-up. */
async function withAlerts(ctx: JobContext, name: string, starting: Promise<StartedRun>): Promise<StartedRun> {
  const started = await starting;
  if (started.deduped) return started;
  const job = JOBS[name]!;
  const finished = started.finished.then(async (run) => {
    // A train run's splits and fitted models are shared by its tasks until it ends.
    forgetTrainSession(ctx.database, run.id);
    if (run.status === "success" && job.afterSuccess) await job.afterSuccess(ctx, run).catch((error: unknown) => console.error(`[${name}] after run ${run.id}:`, error));
    await evaluateAlerts(ctx.database, job.pipeline, alertPolicy(ctx.env), new Date(), job.conditions?.(ctx.env)).catch((error: unknown) => console.error(`[alerts] evaluation after run ${run.id} failed:`, error));
    return run;
  });
  return { ...started, finished };
}

export function findJob(name: string): Job | undefined {
  return Object.hasOwn(JOBS, name) ? JOBS[name] : undefined;
}

/** The job whose runs are recorded under `pipeline`. */
export function jobOfPipeline(pipeline: string): Job | undefined {
  return Object.values(JOBS).find((job) => job.pipeline === pipeline);
}
