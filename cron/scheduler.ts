import os from "node:os";
import { Cron } from "croner";
import { alertPolicy, evaluateAlerts } from "../server/pipeline/alerts";
import type { PipelineRun } from "../server/db/generated/client";
import { triggerJob } from "../server/jobs";
import { waitForRun } from "../server/pipeline/runner";
import { findJob, JOBS, type Job, type JobContext } from "./jobs";

export interface Scheduler {
  stop(): void;
}

/** The scheduled slot a tick belongs to, so the same slot delivered twice gives the same run. */
export const slotKey = (job: Job, slot: Date) => `schedule:${job.name}:${slot.toISOString().slice(0, 16)}`;

/** The latest slot of a schedule at or before `now`: what a cron delivery at `now` stands for. */
export function currentSlot(expression: string, now = new Date()): Date {
  const cron = new Cron(expression, { timezone: "UTC", paused: true });
  return cron.previousRuns(1, new Date(now.getTime() + 1000))[0] ?? now;
}

/** How far back a cron delivery may name its slot (a scheduler catching up after an outage). */
export const SLOT_WINDOW_DAYS = 7;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The slot a cron delivery names (`?slot=`): an ISO instant with its zone that is a slot of the
 * schedule, within the last SLOT_WINDOW_DAYS and not ahead of now; anything else is an error to show.
 */
export function parseSlot(expression: string, raw: string, now = new Date()): { slot: Date } | { error: string } {
  const slot = ISO_INSTANT.test(raw) ? new Date(raw) : new Date(Number.NaN);
  if (Number.isNaN(slot.getTime())) return { error: `slot must be an ISO 8601 instant with its zone, e.g. 2026-12-01T02:00:00Z, not ${JSON.stringify(raw.slice(0, 40))}.` };
  if (slot.getTime() > now.getTime() + 60_000) return { error: `slot ${slot.toISOString()} is in the future.` };
  if (slot.getTime() < now.getTime() - SLOT_WINDOW_DAYS * 86_400_000) return { error: `slot ${slot.toISOString()} is more than ${SLOT_WINDOW_DAYS} days ago.` };
  if (currentSlot(expression, slot).getTime() !== slot.getTime()) return { error: `slot ${slot.toISOString()} is not a time of the schedule "${expression}" (UTC).` };
  return { slot };
}

/** Starts a job for a slot; when it succeeds, the jobs that follow it (ingest → train, analyze) start too. */
async function fire(ctx: JobContext, job: Job, idempotencyKey: string, log: (line: string) => void): Promise<PipelineRun | null> {
  try {
    const outcome = await triggerJob(job, ctx, { trigger: "cron", idempotencyKey, triggeredBy: "scheduler" });
    if (outcome.kind === "busy") {
      log(`${job.name}: skipped, ${outcome.error.message}`);
      return null;
    }
    log(`${job.name}: ${outcome.deduped ? "slot already ran as" : "started"} run ${outcome.run.id}`);
    const next = (job.then ?? []).map((name) => findJob(name)).filter((j) => j !== undefined);
    if (next.length && !outcome.deduped) {
      void waitForRun(ctx.database, outcome.run.id).then((run) => (run.status === "success" ? Promise.all(next.map((j) => fire(ctx, j, `after:${job.name}:${run.id}`, log))) : null));
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
export async function startScheduler(ctx: JobContext, log: (line: string) => void): Promise<Scheduler> {
  const crons: Cron[] = [];
  const followers = new Set(Object.values(JOBS).flatMap((job) => job.then ?? []));
  for (const job of Object.values(JOBS)) {
    if (!job.schedule) continue;
    const expression = job.schedule(ctx.env);
    const cron = new Cron(expression, { timezone: "UTC", protect: true }, async (self: Cron) => {
      await fire(ctx, job, slotKey(job, self.currentRun() ?? new Date()), log);
    });
    crons.push(cron);
    log(`${job.name}: scheduled "${expression}" (UTC), next at ${cron.nextRun()?.toISOString() ?? "never"}`);
    const anyRun = await ctx.database.db.pipelineRun.findFirst({ where: { pipeline: job.pipeline }, select: { id: true } });
    // A job that follows another (train after ingest) starts with it rather than on its own.
    if (!anyRun && !followers.has(job.name)) void fire(ctx, job, `first-start:${job.name}`, log);
  }
  // Every minute: a heartbeat for monitoring, and alerts that depend on time (deadlines, slow runs).
  const monitor = new Cron("* * * * *", { timezone: "UTC", protect: true }, async () => {
    await beat(ctx).catch((error: unknown) => log(`heartbeat failed: ${String(error)}`));
    for (const job of Object.values(JOBS)) {
      await evaluateAlerts(ctx.database, job.pipeline, alertPolicy(ctx.env), new Date(), job.conditions?.(ctx.env)).catch((error: unknown) => log(`alert evaluation failed: ${String(error)}`));
    }
  });
  crons.push(monitor);
  await beat(ctx);
  return { stop: () => crons.forEach((c) => c.stop()) };
}
