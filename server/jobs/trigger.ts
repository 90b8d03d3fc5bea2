import { waitForRun } from "../pipeline/runner";
import { runSummary } from "../pipeline/summary";
import { RunInProgressError, type TriggerRequest } from "../pipeline/types";
import { retryThroughQueue, startThroughQueue } from "../queue/enqueue";
import { startInJobProcess } from "./process";
import type { Job, JobContext, TriggerOutcome } from "./types";

/**
 * Starts a job from this (web) process; the run goes on in the background after the answer. Heavy
 * jobs run in a job process of their own instead, and with JOB_QUEUE=on every job runs in a worker.
 */
export async function triggerJob(job: Job, ctx: JobContext, request: TriggerRequest): Promise<TriggerOutcome> {
  // Queued, a worker on any machine runs it; this process only waits for the run to be recorded.
  if (ctx.env.JOB_QUEUE === "on") return startThroughQueue(job, ctx, request);
  if (job.ownProcess) {
    const outcome = await startInJobProcess(job, ctx, request);
    // The job process's output goes nowhere: this log says how its run ended and what it concluded.
    if (outcome.kind === "started" && !outcome.deduped)
      void waitForRun(ctx.database, outcome.run.id, 2000).then(
        (run) => logEnd(ctx, job, run.id),
        () => undefined,
      );
    return outcome;
  }
  try {
    const started = await job.start(ctx, request);
    if (!started.deduped)
      started.finished.then(
        (run) => logEnd(ctx, job, run.id),
        (error: unknown) => console.error(`[${job.name}] run ${started.run.id} could not be finished:`, error),
      );
    return { kind: "started", run: started.run, deduped: started.deduped };
  } catch (error) {
    if (error instanceof RunInProgressError) return { kind: "busy", error };
    throw error;
  }
}

/** Runs an ended run's failed and skipped tasks again: here in the background, or in a worker with JOB_QUEUE=on. */
export async function retryJob(job: Job, ctx: JobContext, runId: number): Promise<void> {
  if (ctx.env.JOB_QUEUE === "on") return retryThroughQueue(job, ctx, runId);
  const started = await job.retry(ctx, runId);
  if (!started.deduped) started.finished.catch((error: unknown) => console.error(`[${job.name}] retry of run ${runId} could not be finished:`, error));
}

async function logEnd(ctx: JobContext, job: Job, runId: number): Promise<void> {
  const summary = await runSummary(ctx.database.db, runId).catch(() => null);
  if (summary) console.log(`[${job.name}] ${summary}`);
}
