import { setTimeout as sleep } from "node:timers/promises";
import type { Job, JobContext, TriggerOutcome } from "../jobs/types";
import { NothingToRetryError } from "../pipeline/runner";
import { RunInProgressError, type TriggerRequest } from "../pipeline/types";
import { RUN_QUEUE, type RunQueue, sharedRunQueue, type WorkOutcome, workOutcome } from "./run-queue";
import { taggedBy } from "../jobs/process";

/** The queued work's state, and the worker's answer once it has ended. */
async function answerTo(queue: RunQueue, id: string, what: string): Promise<{ state?: string; answer?: WorkOutcome }> {
  const queued = await queue.boss.getJobById(RUN_QUEUE, id);
  if (!queued || (queued.state !== "completed" && queued.state !== "failed")) return { state: queued?.state };
  const answer = workOutcome.safeParse(queued.output);
  if (!answer.success) throw new Error(`the worker could not ${what}: ${JSON.stringify(queued.output)}`);
  return { state: queued.state, answer: answer.data };
}

/**
 * Queues a run for a worker and answers once a worker has recorded it (its id), or busy, as a
 * trigger in this process would. A run no worker takes within `waitMs` is taken back from the queue.
 */
export async function startThroughQueue(job: Job, ctx: JobContext, request: TriggerRequest, waitMs = 20_000): Promise<TriggerOutcome> {
  const { db } = ctx.database;
  if (request.idempotencyKey) {
    const existing = await db.pipelineRun.findUnique({
      where: { pipeline_idempotencyKey: { pipeline: job.pipeline, idempotencyKey: request.idempotencyKey } },
    });
    if (existing) return { kind: "started", run: existing, deduped: true };
  }
  const queue = await sharedRunQueue(ctx.database);
  // The run names this request, so it is found before the worker answers.
  const by = taggedBy(request);
  const id = await queue.start(job.name, { ...request, triggeredBy: by });
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const run = await db.pipelineRun.findFirst({ where: { pipeline: job.pipeline, triggeredBy: by } });
    if (run) return { kind: "started", run, deduped: false };
    const { answer } = await answerTo(queue, id, `start ${job.name}`);
    if (answer) {
      const { outcome, runId } = answer;
      if (outcome === "busy") return { kind: "busy", error: new RunInProgressError(job.pipeline, runId) };
      if (runId !== null) return { kind: "started", run: await db.pipelineRun.findUniqueOrThrow({ where: { id: runId } }), deduped: true };
    }
    await sleep(100);
  }
  await queue.boss.cancel(RUN_QUEUE, id).catch(() => undefined);
  throw new Error(`no worker took the ${job.name} run within ${waitMs / 1000} s: is \`npm run worker\` running with this DATABASE_URL?`);
}

/**
 * Queues an operator's retry of an ended run and answers once a worker has it going, or with the
 * error the worker met (busy: RunInProgressError, nothing failed: NothingToRetryError).
 */
export async function retryThroughQueue(job: Job, ctx: JobContext, runId: number, waitMs = 20_000): Promise<void> {
  const { db } = ctx.database;
  const before = await db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, select: { status: true } });
  if (before.status === "running" || before.status === "queued") throw new RunInProgressError(job.pipeline, runId);
  const queue = await sharedRunQueue(ctx.database);
  const id = await queue.retry(job.name, runId);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const { state, answer } = await answerTo(queue, id, `retry run ${runId}`);
    if (answer) {
      if (answer.outcome === "busy") throw new RunInProgressError(job.pipeline, answer.runId);
      if (answer.outcome === "nothing") throw new NothingToRetryError(runId);
      return;
    }
    const run = await db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, select: { status: true } });
    if (state === "active" && run.status === "running") return;
    await sleep(100);
  }
  await queue.boss.cancel(RUN_QUEUE, id).catch(() => undefined);
  throw new Error(`no worker took the retry of run ${runId} within ${waitMs / 1000} s: is \`npm run worker\` running with this DATABASE_URL?`);
}
