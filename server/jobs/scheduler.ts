import os from "node:os";
import { Cron } from "croner";
import type { PipelineRun } from "../db/generated/client";
import { alertPolicy, evaluateAlerts } from "../pipeline/alerts";
import { tryLockPipeline, type PipelineLock } from "../pipeline/lock";
import { waitForRun } from "../pipeline/runner";
import { findJob, JOBS } from "./registry";
import { slotKey } from "./slots";
import { triggerJob } from "./trigger";
import type { Job, JobContext } from "./types";

export interface Scheduler {
  stop(): void;
}

/** Starts a job for a slot; when it succeeds, the jobs that follow it (ingest → train, analyze) start too. */
async function fire(ctx: JobContext, job: Job, idempotencyKey: string, log: (line: string) => void, stopping: AbortSignal): Promise<PipelineRun | null> {
  try {
    const outcome = await triggerJob(job, ctx, { trigger: "cron", idempotencyKey, triggeredBy: "scheduler" });
    if (outcome.kind === "busy") {
      log(`${job.name}: skipped, ${outcome.error.message}`);
      return null;
    }
    log(`${job.name}: ${outcome.deduped ? "slot already ran as" : "started"} run ${outcome.run.id}`);
    const next = (job.followedBy ?? []).map((name) => findJob(name)).filter((j) => j !== undefined);
    if (next.length && !outcome.deduped) {
      void waitForRun(ctx.database, outcome.run.id, 1000, stopping).then(
        (run) => (run.status === "success" ? Promise.all(next.map((j) => fire(ctx, j, `after:${job.name}:${run.id}`, log, stopping))) : null),
        (error: unknown) =>
          stopping.aborted ||
          log(
            `${job.name}: stopped waiting for run ${outcome.run.id}, so ${job.followedBy?.join(" and ")} will not follow it: ${error instanceof Error ? error.message : String(error)}`,
          ),
      );
    }
    return outcome.run;
  } catch (error) {
    log(`${job.name}: could not start: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export const SCHEDULER_NAME = "built-in";

function beat(ctx: JobContext) {
  const data = { beatAt: new Date(), hostname: os.hostname(), pid: process.pid };
  return ctx.database.db.schedulerHeartbeat.upsert({ where: { name: SCHEDULER_NAME }, create: { name: SCHEDULER_NAME, ...data }, update: data });
}

/**
 * Runs every job on its schedule (UTC) in this process. On the very first start (no run of the
 * job's pipeline yet) it runs the job at once, so a new install shows data within a minute.
 */
async function runSchedules(ctx: JobContext, log: (line: string) => void, stopping: AbortSignal): Promise<Cron[]> {
  const crons: Cron[] = [];
  const followers = new Set(Object.values(JOBS).flatMap((job) => job.followedBy ?? []));
  for (const job of Object.values(JOBS)) {
    if (!job.schedule) continue;
    const expression = job.schedule(ctx.env);
    const cron = new Cron(expression, { timezone: "UTC", protect: true }, async (self: Cron) => {
      await fire(ctx, job, slotKey(job, self.currentRun() ?? new Date()), log, stopping);
    });
    crons.push(cron);
    log(`${job.name}: scheduled "${expression}" (UTC), next at ${cron.nextRun()?.toISOString() ?? "never"}`);
    const anyRun = await ctx.database.db.pipelineRun.findFirst({ where: { pipeline: job.pipeline }, select: { id: true } });
    // A job that follows another (train after ingest) starts with it rather than on its own.
    if (!anyRun && !followers.has(job.name)) void fire(ctx, job, `first-start:${job.name}`, log, stopping);
  }
  // Every minute: a heartbeat for monitoring, and alerts that depend on time (deadlines, slow runs).
  const monitor = new Cron("* * * * *", { timezone: "UTC", protect: true }, async () => {
    await beat(ctx).catch((error: unknown) => log(`heartbeat failed: ${String(error)}`));
    for (const job of Object.values(JOBS)) {
      await evaluateAlerts(ctx.database, job.pipeline, alertPolicy(ctx.env), new Date(), job.conditions?.(ctx.env)).catch((error: unknown) =>
        log(`alert evaluation failed: ${String(error)}`),
      );
    }
  });
  crons.push(monitor);
  await beat(ctx);
  return crons;
}

/** Held by the one process that runs the schedules; PostgreSQL frees it when that process dies. */
const LEADER_LOCK = `scheduler:${SCHEDULER_NAME}`;

/**
 * The built-in scheduler, in as many processes as run it (`npm start`, each `npm run worker`):
 * one leads (an advisory lock) and fires the schedules, the others stand by and look every
 * `standbyEveryMs` whether the leader has gone. A slot delivered twice still gives one run (its key).
 */
export async function startScheduler(ctx: JobContext, log: (line: string) => void, { standbyEveryMs = 10_000 } = {}): Promise<Scheduler> {
  const stopping = new AbortController();
  let leading: { crons: Cron[]; lock: PipelineLock } | undefined;
  let trying = false;
  const tryToLead = async () => {
    if (leading || trying || stopping.signal.aborted) return;
    trying = true;
    try {
      const lock = await tryLockPipeline(ctx.database.pool, LEADER_LOCK).catch(() => null);
      if (!lock) return;
      if (stopping.signal.aborted) return void (await lock.release());
      const crons = await runSchedules(ctx, log, stopping.signal).catch(async (error: unknown) => {
        await lock.release();
        throw error;
      });
      leading = { crons, lock };
      const current = leading;
      lock.lost.addEventListener(
        "abort",
        () => {
          current.crons.forEach((c) => c.stop());
          if (leading === current) leading = undefined;
          log(`lost the scheduler's lock (${String(lock.lost.reason)}): standing by`);
        },
        { once: true },
      );
    } finally {
      trying = false;
    }
  };
  await tryToLead();
  if (!leading) log("another process runs the schedules: standing by");
  const standby = setInterval(() => void tryToLead().catch((error: unknown) => log(`could not take the lead: ${String(error)}`)), standbyEveryMs);
  standby.unref();
  return {
    stop: () => {
      stopping.abort();
      clearInterval(standby);
      leading?.crons.forEach((c) => c.stop());
      void leading?.lock.release();
      leading = undefined;
    },
  };
}
