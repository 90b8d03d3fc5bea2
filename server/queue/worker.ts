import os from "node:os";
import type PgBoss from "pg-boss";
import type { Db } from "../db/client";
import type { Job, JobContext } from "../jobs/types";
import { alertPolicy, evaluateAlerts } from "../pipeline/alerts";
import { livenessAfter } from "../pipeline/heartbeat";
import { NothingToRetryError, stopLocalRuns } from "../pipeline/runner";
import { startRunSweeper } from "../pipeline/sweeper";
import { RunInProgressError } from "../pipeline/types";
import { workScoreShards } from "./score-queue";
import { openRunQueue, RUN_QUEUE, runWork, type RunQueue, type RunWork, type WorkOutcome } from "./run-queue";

export interface WorkerOptions {
  findJob(name: string): Job | undefined;
  jobOfPipeline(pipeline: string): Job | undefined;
  /** runs this worker executes at once (of different pipelines: each runs one at a time anyway) */
  slots?: number;
  log(line: string): void;
}

export interface Worker {
  queue: RunQueue;
  /** Takes no more work, stops its runs and queues them again for another worker (SIGTERM). */
  stop(reason: string): Promise<void>;
}

/** Runs one queued job to its end; the answer is kept as the job's output for the trigger waiting on it. */
async function take(ctx: JobContext, options: WorkerOptions, work: RunWork): Promise<WorkOutcome> {
  const job = options.findJob(work.job);
  if (!job) throw new Error(`no job named ${work.job} in this worker (an older or newer version queued it?)`);
  if (work.kind === "start") {
    try {
      const started = await job.start(ctx, work.request);
      if (started.deduped) return { outcome: "deduped", runId: started.run.id };
      return { outcome: "ended", runId: (await started.finished).id };
    } catch (error) {
      if (error instanceof RunInProgressError) return { outcome: "busy", runId: error.runId };
      throw error;
    }
  }
  if (work.kind === "retry") {
    try {
      const retried = await job.retry(ctx, work.runId);
      return retried.deduped ? { outcome: "nothing", runId: work.runId } : { outcome: "ended", runId: (await retried.finished).id };
    } catch (error) {
      if (error instanceof RunInProgressError) return { outcome: "busy", runId: error.runId };
      if (error instanceof NothingToRetryError) return { outcome: "nothing", runId: work.runId };
      throw error;
    }
  }
  const { db } = ctx.database;
  const run = await db.pipelineRun.findUnique({ where: { id: work.runId }, select: { status: true } });
  // Taken again already, or a newer run of the pipeline has come since: retrying it would undo that run's work.
  const newer = await db.pipelineRun.count({ where: { pipeline: job.pipeline, id: { gt: work.runId } } });
  if (run?.status !== "failed" || newer > 0) return { outcome: "nothing", runId: work.runId };
  try {
    const retried = await job.retry(ctx, work.runId);
    return retried.deduped ? { outcome: "nothing", runId: work.runId } : { outcome: "ended", runId: (await retried.finished).id };
  } catch (error) {
    if (error instanceof NothingToRetryError) return { outcome: "nothing", runId: work.runId };
    // RunInProgressError too: the queue tries again later (RETAKE_RETRIES).
    throw error;
  }
}

/** A run whose process died this many times is not taken again: it is likely what kills them (memory, say). */
export const MAX_DEATHS_PER_RUN = 3;

/** How many processes died running `runId`: each death fails the tries it had going with one message. */
export async function deathsOf(db: Db, runId: number): Promise<number> {
  const messages = await db.taskRun.groupBy({ by: ["error"], where: { runId, status: "failed", error: { startsWith: "abandoned: " } } });
  return messages.length;
}

/**
 * Takes runs from the queue on this machine, and sweeps: a run whose process died (a worker killed
 * outright) is recorded failed with that process's host and pid, then queued again, so another
 * worker runs its failed tasks as new tries within about 1.5 × RUN_DEAD_AFTER_SECONDS. Takes
 * batch-scoring shards too, whichever run sent them.
 */
export async function startWorker(ctx: JobContext, options: WorkerOptions): Promise<Worker> {
  const { log } = options;
  const queue = await openRunQueue(ctx.database, { supervise: true });
  const host = os.hostname();
  const retakeAll = async (runIds: number[], why: string) => {
    for (const id of runIds) {
      const run = await ctx.database.db.pipelineRun.findUnique({ where: { id }, select: { pipeline: true, status: true } });
      const job = run && options.jobOfPipeline(run.pipeline);
      if (!job || run.status !== "failed") continue;
      const deaths = await deathsOf(ctx.database.db, id);
      if (deaths >= MAX_DEATHS_PER_RUN) {
        log(
          `run ${id} of ${job.name} ${why}; its processes died ${deaths} times: left failed, not queued again (retry it from the console once the cause is known)`,
        );
        continue;
      }
      await queue.retake(job.name, id);
      log(`run ${id} of ${job.name} ${why}: queued again for a worker`);
    }
  };
  const liveness = livenessAfter(ctx.env.RUN_DEAD_AFTER_SECONDS);
  const sweeper = startRunSweeper(
    ctx.database,
    async (pipeline, ids) => {
      await evaluateAlerts(ctx.database, pipeline, alertPolicy(ctx.env), new Date(), options.jobOfPipeline(pipeline)?.conditions?.(ctx.env));
      await retakeAll(ids, "had stopped without a word (its process died)");
    },
    { everyMs: liveness.sweepEveryMs, staleMs: liveness.staleMs },
  );
  const handler = async ([queued]: PgBoss.Job<unknown>[]) => take(ctx, options, runWork.parse(queued!.data));
  for (let slot = 0; slot < (options.slots ?? 4); slot++) await queue.boss.work(RUN_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, handler);
  const shards = await workScoreShards(queue.boss, ctx.database);
  log(`worker ${host} pid ${process.pid}: taking runs from the queue`);
  return {
    queue,
    async stop(reason) {
      sweeper.stop();
      await queue.boss.offWork(RUN_QUEUE);
      await shards.stop(reason);
      const stopped = await stopLocalRuns(`stopped: the worker on ${host} (pid ${process.pid}) received ${reason}`);
      await retakeAll(stopped, "was stopped with this worker").catch((error: unknown) => log(`could not queue the stopped runs again: ${String(error)}`));
      await queue.boss.stop({ graceful: true, timeout: 1000, close: false });
    },
  };
}
