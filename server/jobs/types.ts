import type { Database } from "../db/client";
import type { PipelineRun } from "../db/generated/client";
import type { Env } from "../config/env";
import type { ConditionSource } from "../pipeline/alerts";
import type { StartedRun } from "../pipeline/runner";
import type { PipelineDefinition, RunInProgressError, RunObserver, TriggerRequest } from "../pipeline/types";

export interface JobContext {
  database: Database;
  env: Env;
}

export interface Job {
  name: string;
  description: string;
  pipeline: string;
  /** cron expression (UTC) the built-in scheduler and vercel.json use; none: started by people only */
  schedule?(env: Env): string;
  /** its tasks, as the environment configures them */
  definition(env: Env): PipelineDefinition;
  start(ctx: JobContext, request: TriggerRequest, observer?: RunObserver): Promise<StartedRun>;
  /** Runs the failed and skipped tasks of an ended run again. */
  retry(ctx: JobContext, runId: number): Promise<StartedRun>;
  /** the jobs the built-in scheduler starts after each successful run of this one */
  followedBy?: string[];
  /** heavy work: started from the web server, it runs in a job process of its own */
  ownProcess?: boolean;
  /** incidents of its own, judged with the ledger's */
  conditions?(env: Env): ConditionSource;
}

/** A trigger's answer, from this process or a job process: the run (new, or the one its key names), or busy. */
export type TriggerOutcome = { kind: "started"; run: PipelineRun; deduped: boolean } | { kind: "busy"; error: RunInProgressError };
