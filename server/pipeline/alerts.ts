import type { Database } from "../db/client";
import { Prisma, type Alert } from "../db/generated/client";
import { percentile } from "../lib/percentiles";
import { alertMessage, deliver, type AlertEvent } from "./alert-webhook";

export interface AlertPolicy {
  webhookUrl?: string;
  /** "HH:MM" UTC by which a successful run is expected each day */
  deadlineUtc: string;
  consoleUrl?: string;
  /** for tests: delay between delivery tries */
  retryDelayMs?: number;
}

/** A condition that holds now; its incident is opened if none is open for the key (`<kind>:<pipeline>…`). */
export interface Condition {
  incidentKey: string;
  /** the ledger's own kinds, or a pipeline's (e.g. the models' `champion_stale`) */
  kind: string;
  severity: "error" | "warning";
  title: string;
  detail: string;
  fields: Record<string, string | number>;
  runId?: number;
}

/** What one look at the conditions found, and which incident keys it speaks for: those of these kinds not in `holding` are over. */
export interface ConditionReport {
  kinds: Condition["kind"][];
  holding: Condition[];
}

/** Conditions a pipeline adds to the ledger's own (e.g. the served model's quality). */
export type ConditionSource = (database: Database, now: Date) => Promise<ConditionReport>;

function deadlineToday(deadlineUtc: string, now: Date): Date {
  const [h, m] = deadlineUtc.split(":").map(Number);
  const d = new Date(now);
  d.setUTCHours(h!, m!, 0, 0);
  return d;
}

/** What holds right now for `pipeline`, from the run ledger. */
async function currentConditions(database: Database, pipeline: string, policy: AlertPolicy, now = new Date()): Promise<ConditionReport> {
  const { db } = database;
  const holding: Condition[] = [];
  const kinds: Condition["kind"][] = ["run_failed", "run_skipped", "deadline_missed", "run_slow"];

  const lastEnded = await db.pipelineRun.findFirst({ where: { pipeline, status: { in: ["success", "failed", "skipped"] } }, orderBy: { id: "desc" } });
  // A run that did nothing (e.g. the data gate kept a train run from bad data) is worth a look, not a page.
  if (lastEnded?.status === "skipped") {
    holding.push({
      incidentKey: `run_skipped:${pipeline}`,
      kind: "run_skipped",
      severity: "warning",
      title: `${pipeline} run ${lastEnded.id} was skipped`,
      detail: (lastEnded.error ?? "no reason recorded").slice(0, 300),
      fields: { pipeline, run: lastEnded.id, trigger: lastEnded.trigger },
      runId: lastEnded.id,
    });
  }
  if (lastEnded?.status === "failed") {
    holding.push({
      incidentKey: `run_failed:${pipeline}`,
      kind: "run_failed",
      severity: "error",
      title: `${pipeline} run ${lastEnded.id} failed`,
      detail: (lastEnded.error ?? "no error recorded").split("\n")[0]!.slice(0, 300),
      fields: { pipeline, run: lastEnded.id, trigger: lastEnded.trigger },
      runId: lastEnded.id,
    });
  }
  // Check errors are judged on the last run that got as far as its checks.
  const lastChecked = await db.pipelineRun.findFirst({
    where: { pipeline, checks: { some: {} } },
    orderBy: { id: "desc" },
    include: { checks: { where: { level: "error" } } },
  });
  if (lastChecked) {
    kinds.push("check_error");
    for (const c of lastChecked.checks) {
      const subject = c.dataset ? `${c.check}(${c.dataset})` : c.check;
      holding.push({
        incidentKey: `check_error:${pipeline}:${c.check}:${c.dataset}`,
        kind: "check_error",
        severity: "error",
        title: `data check ${subject} is ERROR`,
        detail: c.message,
        fields: { pipeline, run: lastChecked.id, check: c.check, dataset: c.dataset || "-" },
        runId: lastChecked.id,
      });
    }
  }

  const deadline = deadlineToday(policy.deadlineUtc, now);
  if (now >= deadline) {
    const dayStart = new Date(deadline);
    dayStart.setUTCHours(0, 0, 0, 0);
    const success = await db.pipelineRun.findFirst({ where: { pipeline, status: "success", finishedAt: { gte: dayStart } }, select: { id: true } });
    if (!success) {
      holding.push({
        incidentKey: `deadline_missed:${pipeline}`,
        kind: "deadline_missed",
        severity: "error",
        title: `no successful ${pipeline} run today by ${policy.deadlineUtc} UTC`,
        detail: lastEnded ? `the last run (${lastEnded.id}) ended ${lastEnded.status} at ${lastEnded.finishedAt?.toISOString()}` : "no run has ended yet",
        fields: { pipeline, deadline: `${policy.deadlineUtc} UTC` },
      });
    }
  }

  const running = await db.pipelineRun.findFirst({ where: { pipeline, status: "running" }, orderBy: { id: "desc" } });
  if (running?.startedAt) {
    const recent = await db.pipelineRun.findMany({
      where: { pipeline, status: "success" },
      orderBy: { id: "desc" },
      take: 20,
      select: { startedAt: true, finishedAt: true },
    });
    const durations = recent.filter((r) => r.startedAt && r.finishedAt).map((r) => r.finishedAt!.getTime() - r.startedAt!.getTime());
    const elapsed = now.getTime() - running.startedAt.getTime();
    // Five runs at least, so one slow day does not make the baseline.
    const p95 = durations.length >= 5 ? percentile(durations, 0.95) : Number.POSITIVE_INFINITY;
    if (elapsed > 2 * p95) {
      holding.push({
        incidentKey: `run_slow:${pipeline}`,
        kind: "run_slow",
        severity: "warning",
        title: `${pipeline} run ${running.id} is taking long`,
        detail: `running for ${Math.round(elapsed / 1000)} s, over twice the p95 of the last ${durations.length} runs (${Math.round(p95 / 1000)} s)`,
        fields: { pipeline, run: running.id, elapsedSeconds: Math.round(elapsed / 1000), p95Seconds: Math.round(p95 / 1000) },
        runId: running.id,
      });
    }
  }
  return { kinds, holding };
}

async function notify(database: Database, alert: Alert, event: AlertEvent, policy: AlertPolicy) {
  const notification = await database.db.alertNotification.create({ data: { alertId: alert.id, event, status: "pending" } });
  const outcome = await deliver(policy.webhookUrl, alertMessage(alert, event, policy.consoleUrl), 3, policy.retryDelayMs);
  await database.db.alertNotification.update({
    where: { id: notification.id },
    data: { status: outcome.status, attempts: outcome.attempts, lastError: outcome.error ?? null, sentAt: outcome.status === "delivered" ? new Date() : null },
  });
}

/**
 * Opens an incident for each condition that holds and has none open, and resolves the open ones
 * whose condition is over; each opening and each recovery is sent once. Safe to run from several
 * processes: a unique index allows one open incident per key.
 */
export async function evaluateAlerts(
  database: Database,
  pipeline: string,
  policy: AlertPolicy,
  now = new Date(),
  extra?: ConditionSource,
): Promise<{ opened: Alert[]; resolved: Alert[] }> {
  const { db } = database;
  const own = await currentConditions(database, pipeline, policy, now);
  const more = extra ? await extra(database, now) : { kinds: [], holding: [] };
  const kinds = [...own.kinds, ...more.kinds];
  const holding = [...own.holding, ...more.holding];
  const open = await db.alert.findMany({ where: { state: { not: "resolved" }, kind: { in: kinds } } });
  const mine = open.filter((a) => a.incidentKey.split(":")[1] === pipeline);
  const holdingKeys = new Set(holding.map((c) => c.incidentKey));
  const openKeys = new Set(mine.map((a) => a.incidentKey));
  const opened: Alert[] = [];
  const resolved: Alert[] = [];
  for (const condition of holding.filter((c) => !openKeys.has(c.incidentKey))) {
    const alert = await createIncident(database, condition, now);
    if (alert) opened.push(alert);
  }
  for (const alert of mine.filter((a) => !holdingKeys.has(a.incidentKey))) {
    if (await markResolved(database, alert.id, now)) resolved.push({ ...alert, state: "resolved", resolvedAt: now });
  }
  for (const alert of opened) await notify(database, alert, "opened", policy);
  for (const alert of resolved) await notify(database, alert, "recovered", policy);
  return { opened, resolved };
}

/** The new incident, or null when one is open for its key already (opened here or by another process). */
async function createIncident(database: Database, condition: Condition, now: Date): Promise<Alert | null> {
  try {
    const { incidentKey, kind, severity, title, detail, fields, runId } = condition;
    return await database.db.alert.create({ data: { incidentKey, kind, severity, title, detail, fields, runId, state: "open", openedAt: now } });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return null;
    throw error;
  }
}

async function markResolved(database: Database, alertId: number, now: Date): Promise<boolean> {
  const done = await database.db.alert.updateMany({ where: { id: alertId, state: { not: "resolved" } }, data: { state: "resolved", resolvedAt: now } });
  return done.count === 1;
}

/** Opens and sends an incident found outside a pipeline's evaluation (e.g. by the serving engine), unless one is open for its key. */
export async function raiseIncident(database: Database, condition: Condition, policy: AlertPolicy, now = new Date()): Promise<Alert | null> {
  const alert = await createIncident(database, condition, now);
  if (alert) await notify(database, alert, "opened", policy);
  return alert;
}

/** Resolves and sends the recovery of the open incident with this key, if there is one. */
export async function endIncident(database: Database, incidentKey: string, policy: AlertPolicy, now = new Date()): Promise<boolean> {
  const alert = await database.db.alert.findFirst({ where: { incidentKey, state: { not: "resolved" } } });
  if (!alert || !(await markResolved(database, alert.id, now))) return false;
  await notify(database, { ...alert, state: "resolved", resolvedAt: now }, "recovered", policy);
  return true;
}

/** True when the alert was open and is now acknowledged by `by`. */
export async function acknowledgeAlert(database: Database, alertId: number, by: string): Promise<boolean> {
  const done = await database.db.alert.updateMany({
    where: { id: alertId, state: "open" },
    data: { state: "acknowledged", acknowledgedAt: new Date(), acknowledgedBy: by },
  });
  return done.count === 1;
}

export function alertPolicy(env: { ALERT_WEBHOOK_URL?: string; ALERT_DEADLINE_UTC: string; NEXTAUTH_URL?: string }): AlertPolicy {
  return { webhookUrl: env.ALERT_WEBHOOK_URL, deadlineUtc: env.ALERT_DEADLINE_UTC, consoleUrl: env.NEXTAUTH_URL };
}
