import { DomainError } from "../domain/errors";
import { recordAudit } from "../audit/log";
import type { Database, Db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { moveAlias } from "../recommender/registry";
import { METRICS } from "./metrics";
import { reachOf, runningExperiments, unreachableMessage } from "./reach";
import { usersNeeded } from "./stats/power";

export interface Actor {
  id?: number;
  email: string;
  ip?: string;
}

export interface ExperimentDesign {
  key: string;
  name: string;
  hypothesis: string;
  variants: { key: string; versionId: number; weight: number }[];
  coverage: number;
  namespace?: { name: string; start: number; end: number } | null;
  seed?: string;
  primaryMetric: string;
  secondaryMetrics: string[];
  guardrailMetrics: string[];
  correction: "holm" | "bh" | "none";
  sequential: boolean;
  alpha: number;
}

/** A person can act on it: the message says what to change. */
export class ExperimentError extends DomainError {
  constructor(message: string, code: "NOT_FOUND" | "CONFLICT" | "PRECONDITION_FAILED") {
    super(code, message);
    this.name = "ExperimentError";
  }
}

const withVariants = { variants: { orderBy: { position: "asc" as const } } };

export const getExperiment = (db: Db, key: string) => db.experiment.findUnique({ where: { key }, include: withVariants });

/**
 * The experiment, its row locked until the transaction ends: a start, stop or decision made at the
 * same moment waits, then finds the status this one left and is refused.
 */
async function lockedForChange(tx: Prisma.TransactionClient, key: string) {
  const locked = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM experiments WHERE key = ${key} FOR UPDATE`;
  if (locked.length === 0) throw new ExperimentError(`No experiment "${key}".`, "NOT_FOUND");
  return tx.experiment.findUniqueOrThrow({ where: { key }, include: withVariants });
}

/** Refused because someone else moved it on meanwhile (409), or because it never could (412). */
function wrongStatus(
  key: string,
  experiment: { status: string; decidedBy: string | null; shippedVariant: string | null },
  action: string,
  laterStatuses: string[],
): ExperimentError {
  const by =
    experiment.status === "decided"
      ? ` by ${experiment.decidedBy ?? "someone"} (${experiment.shippedVariant === null ? "shipped nothing" : `shipped ${experiment.shippedVariant}`})`
      : "";
  return laterStatuses.includes(experiment.status)
    ? new ExperimentError(`Experiment "${key}" is ${experiment.status} already${by}; it cannot ${action}. Reload to see it.`, "CONFLICT")
    : new ExperimentError(`Experiment "${key}" is ${experiment.status}; it cannot ${action}.`, "PRECONDITION_FAILED");
}

/** A draft; weights are scaled to sum to 1. Every variant must be a version that can be served. */
export async function createExperiment(db: Db, design: ExperimentDesign, actor: Actor) {
  const total = design.variants.reduce((s, v) => s + v.weight, 0);
  const versions = await db.modelVersion.findMany({
    where: { id: { in: design.variants.map((v) => v.versionId) } },
    select: { id: true, artefactPrunedAt: true },
  });
  for (const v of design.variants) {
    const version = versions.find((x) => x.id === v.versionId);
    if (!version) throw new ExperimentError(`Variant ${v.key}: no model version ${v.versionId}.`, "PRECONDITION_FAILED");
    if (version.artefactPrunedAt)
      throw new ExperimentError(`Variant ${v.key}: version ${v.versionId}'s artefact was pruned; it cannot be served.`, "PRECONDITION_FAILED");
  }
  if (await db.experiment.findUnique({ where: { key: design.key }, select: { id: true } }))
    throw new ExperimentError(`An experiment "${design.key}" exists already.`, "CONFLICT");
  return db.$transaction(async (tx) => {
    const created = await tx.experiment.create({
      data: {
        key: design.key,
        name: design.name,
        hypothesis: design.hypothesis,
        namespace: design.namespace?.name ?? null,
        namespaceStart: design.namespace?.start ?? 0,
        namespaceEnd: design.namespace?.end ?? 1,
        coverage: design.coverage,
        seed: design.seed ?? design.key,
        primaryMetric: design.primaryMetric,
        secondaryMetrics: design.secondaryMetrics,
        guardrailMetrics: design.guardrailMetrics,
        correction: design.correction,
        sequential: design.sequential,
        alpha: design.alpha,
        createdBy: actor.email,
        variants: { create: design.variants.map((v, position) => ({ key: v.key, versionId: v.versionId, weight: v.weight / total, position })) },
      },
      include: withVariants,
    });
    await recordAudit(tx, {
      action: "experiment.create",
      actorId: actor.id ?? null,
      actorEmail: actor.email,
      ip: actor.ip ?? null,
      target: `experiment ${created.key}`,
    });
    return created;
  });
}

/**
 * draft → running. Experiments of one namespace must own disjoint ranges of it, so no user is in
 * two of them; one that would reach no listener (earlier running experiments take in every one it
 * includes) is refused. The transaction holds a lock so two starts cannot both pass the checks.
 * Returns the experiment with the share of listeners it reaches.
 */
export async function startExperiment(db: Db, key: string, actor: Actor) {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('encore.experiments.start'))`;
    const experiment = await lockedForChange(tx, key);
    if (experiment.status !== "draft") throw wrongStatus(key, experiment, "start (only a draft starts)", ["running", "stopped", "decided"]);
    if (experiment.namespace) {
      const overlapping = await tx.experiment.findFirst({
        where: {
          status: "running",
          namespace: experiment.namespace,
          namespaceStart: { lt: experiment.namespaceEnd },
          namespaceEnd: { gt: experiment.namespaceStart },
        },
        select: { key: true },
      });
      if (overlapping)
        throw new ExperimentError(
          `Experiment "${overlapping.key}" runs in the same part of namespace "${experiment.namespace}"; pick a range it does not use.`,
          "CONFLICT",
        );
    }
    const reach = await reachOf(tx, experiment, await runningExperiments(tx));
    if (reach.share === 0) throw new ExperimentError(unreachableMessage(key, reach), "PRECONDITION_FAILED");
    const now = new Date();
    const started = await tx.experiment.update({ where: { key }, data: { status: "running", startedAt: now, updatedAt: now }, include: withVariants });
    await recordAudit(tx, {
      action: "experiment.start",
      actorId: actor.id ?? null,
      actorEmail: actor.email,
      ip: actor.ip ?? null,
      target: `experiment ${key}`,
      detail: { reach: reach.share },
    });
    return { ...started, reach };
  });
}

/** running → stopped: no more exposures; the results stay. */
export async function stopExperiment(db: Db, key: string, actor: Actor) {
  return db.$transaction(async (tx) => {
    const experiment = await lockedForChange(tx, key);
    if (experiment.status !== "running") throw wrongStatus(key, experiment, "stop (only a running one stops)", ["stopped", "decided"]);
    const now = new Date();
    const stopped = await tx.experiment.update({ where: { key }, data: { status: "stopped", stoppedAt: now, updatedAt: now }, include: withVariants });
    await recordAudit(tx, { action: "experiment.stop", actorId: actor.id ?? null, actorEmail: actor.email, ip: actor.ip ?? null, target: `experiment ${key}` });
    return stopped;
  });
}

/**
 * Ends an experiment: ships a variant (its version becomes champion through the registry, audited) or
 * none. One transaction under the experiment's row lock: of two decisions at once, one wins and the
 * other is refused with CONFLICT, changing nothing.
 */
export async function decideExperiment(db: Db, key: string, decision: { variant: string | null; note: string }, actor: Actor) {
  return db.$transaction(async (tx) => {
    const experiment = await lockedForChange(tx, key);
    if (experiment.status !== "running" && experiment.status !== "stopped") throw wrongStatus(key, experiment, "be decided", ["decided"]);
    const variant = decision.variant === null ? null : experiment.variants.find((v) => v.key === decision.variant);
    if (decision.variant !== null && !variant) throw new ExperimentError(`Experiment "${key}" has no variant "${decision.variant}".`, "NOT_FOUND");
    if (variant) {
      const version = await tx.modelVersion.findUnique({ where: { id: variant.versionId }, select: { artefactPrunedAt: true } });
      if (!version || version.artefactPrunedAt) {
        throw new ExperimentError(
          `Variant ${variant.key}'s model (version ${variant.versionId}) ${version ? "had its artefact pruned" : "no longer exists"}, so it cannot be served or shipped. Ship another variant, or none.`,
          "PRECONDITION_FAILED",
        );
      }
      await moveAlias(tx, "champion", variant.versionId, actor, `experiment ${key}: shipped ${variant.key}. ${decision.note}`);
    }
    const now = new Date();
    const decided = await tx.experiment.update({
      where: { key },
      data: {
        status: "decided",
        decidedAt: now,
        decidedBy: actor.email,
        shippedVariant: variant?.key ?? null,
        decisionNote: decision.note,
        stoppedAt: experiment.stoppedAt ?? now,
        updatedAt: now,
      },
      include: withVariants,
    });
    await recordAudit(tx, {
      action: "experiment.decide",
      actorId: actor.id ?? null,
      actorEmail: actor.email,
      ip: actor.ip ?? null,
      target: `experiment ${key}`,
      detail: { shipped: variant?.key ?? null, version: variant?.versionId ?? null, note: decision.note },
    });
    return decided;
  });
}

/**
 * The power calculator: users needed for `mde` on the primary metric, from the recent listening
 * (per listener active in the last 14 days of data: listens per day, or tracks discovered), and
 * the days to reach them: the first d whose distinct listeners, times coverage and namespace
 * share, reach that many.
 */
export async function powerEstimate(
  database: Database,
  input: { metric: string; mde: number; alpha: number; power: number; weights: number[]; coverage: number; namespaceShare: number; mean?: number; sd?: number },
) {
  let { mean, sd } = input;
  // The newest listening, read once: both queries below count back from it.
  const { rows: newestRows } = await database.pool.query<{ t: Date | null }>("SELECT max(created_at) AS t FROM listen_history");
  const newest = newestRows[0]?.t ?? new Date();
  if (mean === undefined || sd === undefined) {
    if (input.metric !== "listens_per_day" && input.metric !== "new_tracks")
      throw new ExperimentError(
        `Give the baseline mean and standard deviation of ${input.metric}: the listening history does not tell them.`,
        "PRECONDITION_FAILED",
      );
    // Per listener active in the last 14 days: their listens per day, or the tracks they discovered
    // (from `discoveries` as the last analysis left them).
    const { rows } = await database.pool.query<{ mean: number | null; sd: number | null }>(
      `WITH active AS (SELECT h.user_id, sum(cardinality(h.items))::float8 AS listens FROM listen_history h
                        WHERE h.created_at > $1::timestamptz - interval '14 days' GROUP BY h.user_id),
            per_user AS (${
              input.metric === "listens_per_day"
                ? "SELECT listens / 14 AS v FROM active"
                : `SELECT coalesce(sum(cardinality(d.track_ids)), 0)::float8 AS v
                     FROM active a LEFT JOIN discoveries d ON d.user_id = a.user_id AND d.heard_on > $1::timestamptz - interval '14 days'
                    GROUP BY a.user_id`
            })
       SELECT avg(v) AS mean, stddev_samp(v) AS sd FROM per_user`,
      [newest],
    );
    mean = rows[0]?.mean ?? 0;
    sd = rows[0]?.sd ?? 0;
  }
  const total = input.weights.reduce((s, w) => s + w, 0);
  const users = usersNeeded({ mean, sd, mde: input.mde, alpha: input.alpha, power: input.power, weights: input.weights.map((w) => w / total) });
  // Listeners active in the last d days, d = 1..28, from one pass: each listener's last listen, k whole days before the newest.
  const { rows: reach } = await database.pool.query<{ days: number; users: number }>(
    `WITH ages AS MATERIALIZED (SELECT floor(extract(epoch FROM $1::timestamptz - max(h.created_at)) / 86400)::int AS k
                     FROM listen_history h WHERE h.created_at > $1::timestamptz - interval '28 days' GROUP BY h.user_id)
     SELECT d AS days, (SELECT count(*)::int FROM ages WHERE k < d) AS users FROM generate_series(1, 28) AS d`,
    [newest],
  );
  const share = input.coverage * input.namespaceShare;
  const exposed = reach.map((r) => ({ days: r.days, users: Math.floor(r.users * share) }));
  const days = exposed.find((r) => r.users >= users)?.days ?? null;
  // Who exists to be reached: listeners active in the last 28 days, and the part the allocation takes in.
  const activeListeners = reach.at(-1)?.users ?? 0;
  return {
    metric: input.metric,
    label: METRICS[input.metric as keyof typeof METRICS]?.label ?? input.metric,
    mean,
    sd,
    usersNeeded: users,
    expectedDays: days,
    reach: exposed,
    activeListeners,
    reachableListeners: exposed.at(-1)?.users ?? 0,
  };
}
