import { spawn } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runningRunId } from "../pipeline/runner";
import { RunInProgressError, type TriggerRequest } from "../pipeline/types";
import type { Job, JobContext, TriggerOutcome } from "./types";

/** Who asked, made unique, so the run this request makes is found by it before any answer. */
export const taggedBy = (request: TriggerRequest) =>
  `${request.triggeredBy ?? request.trigger} #${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * Starts a heavy job (training) in a job process of its own, as `npm run job` would, so its loops never
 * hold the web server's event loop. Answers once the run is recorded (its id), or busy.
 */
export async function startInJobProcess(job: Job, ctx: JobContext, request: TriggerRequest, waitMs = 20_000): Promise<TriggerOutcome> {
  const { db } = ctx.database;
  if (request.idempotencyKey) {
    const existing = await db.pipelineRun.findUnique({
      where: { pipeline_idempotencyKey: { pipeline: job.pipeline, idempotencyKey: request.idempotencyKey } },
    });
    if (existing) return { kind: "started", run: existing, deduped: true };
  }
  const by = taggedBy(request);
  const args = ["--import", "tsx", path.join(process.cwd(), "cron", "cli.ts"), job.name, "--trigger", request.trigger, "--by", by];
  if (request.idempotencyKey) args.push("--key", request.idempotencyKey);
  if (request.params?.force === true) args.push("--force");
  const child = spawn(process.execPath, args, { cwd: process.cwd(), env: process.env, stdio: "ignore", detached: true });
  child.unref();
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const run = await db.pipelineRun.findFirst({ where: { pipeline: job.pipeline, triggeredBy: by } });
    if (run) return { kind: "started", run, deduped: false };
    if (exited) {
      const running = await runningRunId(ctx.database, job.pipeline);
      if (running !== null) return { kind: "busy", error: new RunInProgressError(job.pipeline, running) };
      throw new Error(`the ${job.name} job process ended before recording a run`);
    }
    await sleep(100);
  }
  throw new Error(`the ${job.name} job process recorded no run within ${waitMs / 1000} s`);
}
