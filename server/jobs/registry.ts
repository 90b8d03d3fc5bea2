import type { Env } from "../config/env";
import { ingestionConfig } from "../ingestion/config";
import { INGEST_LAST_TASK, INGEST_PIPELINE, ingestionPipeline } from "../ingestion/pipeline";
import { alertPolicy, evaluateAlerts, type ConditionSource } from "../pipeline/alerts";
import { modelConditions } from "../recommender/online";
import { championOnlineTask } from "../recommender/online-task";
import { livenessAfter } from "../pipeline/heartbeat";
import { retryFailedTasks, startRun, type StartedRun } from "../pipeline/runner";
import type { PipelineDefinition } from "../pipeline/types";
import { modelAlertPolicy, trainConfig } from "../recommender/config";
import { queueShardRunner } from "../queue/score-queue";
import { TRAIN_PIPELINE, trainPipeline } from "../recommender/pipeline";
import { ANALYZE_PIPELINE, analyzePipeline, experimentConditions } from "../experiments/pipeline";
import { analyzeConfig } from "../experiments/config";
import { DEMO_PIPELINE, demoPipeline } from "../experiments/demo";
import type { Job, JobContext } from "./types";

/** The variables that hold a job's schedule (cron expressions, UTC). */
type ScheduleVariable = "INGEST_SCHEDULE" | "TRAIN_SCHEDULE" | "ANALYZE_SCHEDULE";

/** What a job is; its start, retry and alerting are made from it (jobFrom). */
export interface JobDeclaration {
  description: string;
  /** the name its runs are recorded under */
  pipeline: string;
  /** its tasks, as the environment configures them */
  definition(env: Env): PipelineDefinition;
  schedule?: ScheduleVariable;
  followedBy?: string[];
  ownProcess?: boolean;
  conditions?(env: Env): ConditionSource;
}

const DECLARED = {
  ingest: {
    description: "Ingest tracks, users and listening history from the MooVitamix API",
    pipeline: INGEST_PIPELINE,
    definition: (env) => {
      const ingestion = ingestionPipeline(ingestionConfig(env));
      // Last: the served model judged on the listening this run published.
      return { ...ingestion, tasks: [...ingestion.tasks, championOnlineTask(env, [INGEST_LAST_TASK])] };
    },
    schedule: "INGEST_SCHEDULE",
    followedBy: ["train", "analyze"],
  },
  train: {
    description: "Train every model family on a snapshot, evaluate, register, promote the best and score every user",
    pipeline: TRAIN_PIPELINE,
    definition: (env) =>
      trainPipeline({ ...trainConfig(env), ...(env.JOB_QUEUE === "on" ? { shards: { runner: queueShardRunner(), users: env.SCORE_SHARD_USERS } } : {}) }),
    schedule: "TRAIN_SCHEDULE",
    ownProcess: true,
    conditions: (env) => modelConditions(modelAlertPolicy(env)),
  },
  analyze: {
    description: "Recompute every running experiment's results and keep the day's snapshot",
    pipeline: ANALYZE_PIPELINE,
    definition: (env) => analyzePipeline(analyzeConfig(env)),
    schedule: "ANALYZE_SCHEDULE",
    ownProcess: true,
    conditions: () => experimentConditions,
  },
  demo: {
    description:
      "Run the champion against popularity for 7 rounds of the built-in simulator in real time, whose listeners answer the recommendations; the experiment ends decided, nothing shipped",
    pipeline: DEMO_PIPELINE,
    definition: (env) => demoPipeline({ ingestion: ingestionConfig(env), analysis: analyzeConfig(env), days: 7 }),
    ownProcess: true,
  },
} satisfies Record<string, JobDeclaration>;

export function jobFrom(name: string, declared: JobDeclaration): Job {
  const job: Job = {
    name,
    description: declared.description,
    pipeline: declared.pipeline,
    schedule: declared.schedule && ((env) => env[declared.schedule!]),
    definition: declared.definition,
    start: (ctx, request, observer) =>
      withAlerts(ctx, job, startRun(ctx.database, declared.definition(ctx.env), request, observer, livenessAfter(ctx.env.RUN_DEAD_AFTER_SECONDS))),
    retry: (ctx, runId) =>
      withAlerts(ctx, job, retryFailedTasks(ctx.database, declared.definition(ctx.env), runId, {}, livenessAfter(ctx.env.RUN_DEAD_AFTER_SECONDS))),
    followedBy: declared.followedBy,
    ownProcess: declared.ownProcess,
    conditions: declared.conditions,
  };
  return job;
}

/** Every job Encore runs; the CLI, the cron routes, the console and the scheduler all start jobs from here. */
export const JOBS: Record<string, Job> = Object.fromEntries(Object.entries(DECLARED).map(([name, declared]) => [name, jobFrom(name, declared)]));

/** When a run ends, its outcome is judged for alerts at once (the scheduler also does so every minute). */
async function withAlerts(ctx: JobContext, job: Job, starting: Promise<StartedRun>): Promise<StartedRun> {
  const started = await starting;
  if (started.deduped) return started;
  const finished = started.finished.then(async (run) => {
    await evaluateAlerts(ctx.database, job.pipeline, alertPolicy(ctx.env), new Date(), job.conditions?.(ctx.env)).catch((error: unknown) =>
      console.error(`[alerts] evaluation after run ${run.id} failed:`, error),
    );
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
