import { TRPCError } from "@trpc/server";
import { findJob, jobOfPipeline, type Job, type JobContext } from "../cron/jobs";
import type { StartedRun } from "./pipeline/runner";
import { RunInProgressError, type TriggerRequest } from "./pipeline/types";

export type TriggerOutcome = { kind: "started"; started: StartedRun } | { kind: "busy"; error: RunInProgressError };

/** Starts a job from this (web) process; the run goes on in the background after the answer. */
export async function triggerJob(job: Job, ctx: JobContext, request: TriggerRequest): Promise<TriggerOutcome> {
  try {
    const started = await job.start(ctx, request);
    if (!started.deduped) started.finished.catch((error: unknown) => console.error(`[${job.name}] run ${started.run.id} could not be finished:`, error));
    return { kind: "started", started };
  } catch (error) {
    if (error instanceof RunInProgressError) return { kind: "busy", error };
    throw error;
  }
}

export function requireJob(name: string): Job {
  const job = findJob(name);
  if (!job) throw new TRPCError({ code: "NOT_FOUND", message: `No job named ${name}.` });
  return job;
}

export function requireJobOfPipeline(pipeline: string): Job {
  const job = jobOfPipeline(pipeline);
  if (!job) throw new TRPCError({ code: "NOT_FOUND", message: `No job runs the ${pipeline} pipeline.` });
  return job;
}
