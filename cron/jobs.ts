import type { Database } from "../server/db/client";
import type { Env } from "../server/env";
import { ingestionConfig } from "../server/ingestion/config";
import { INGEST_PIPELINE, ingestionPipeline } from "../server/ingestion/pipeline";
import { startRun, type StartedRun } from "../server/pipeline/runner";
import type { RunObserver, TriggerRequest } from "../server/pipeline/types";

export interface JobContext {
  database: Database;
  env: Env;
}

export interface Job {
  name: string;
  description: string;
  pipeline: string;
  /** cron expression (UTC) the built-in scheduler and vercel.json use */
  schedule(env: Env): string;
  start(ctx: JobContext, request: TriggerRequest, observer?: RunObserver): Promise<StartedRun>;
}

/** Every job Encore runs; the CLI, the cron routes, the console and the scheduler all start jobs from here. */
export const JOBS: Record<string, Job> = {
  ingest: {
    name: "ingest",
    description: "Ingest tracks, users and listening history from the MooVitamix API",
    pipeline: INGEST_PIPELINE,
    schedule: (env) => env.INGEST_SCHEDULE,
    start: (ctx, request, observer) => startRun(ctx.database, ingestionPipeline(ingestionConfig(ctx.env)), request, observer),
  },
};

export function findJob(name: string): Job | undefined {
  return Object.hasOwn(JOBS, name) ? JOBS[name] : undefined;
}
