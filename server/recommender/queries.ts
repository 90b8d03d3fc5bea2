import { z } from "zod";
import { DomainError } from "../domain/errors";
import type { Db } from "../db/client";
import type { ModelVersion } from "../db/generated/client";
import { readJson } from "../db/json";
import { evaluationSchema, versionEvaluation } from "./evaluate";
import { versionTrainingSchema } from "./outputs";
import { setAlias } from "./registry";

const evaluation = versionEvaluation;
// Popularity's evaluation on the same split; {} when the run trained no popularity.
const baselineSchema = z.union([evaluationSchema, z.strictObject({})]);
const baseline = (v: Pick<ModelVersion, "baselineMetrics">) => readJson("model_versions.baseline_metrics", baselineSchema, v.baselineMetrics);

/** A version's headline numbers and its lift over popularity on the same split. */
function headline(v: ModelVersion, aliases: string[]) {
  const m = evaluation(v);
  const b = baseline(v);
  const popularity = "overall" in b ? b.overall["ndcg@10"] : null;
  return {
    id: v.id,
    family: v.family,
    createdAt: v.createdAt,
    snapshotId: v.snapshotId,
    runId: v.runId,
    aliases,
    pruned: v.artefactPrunedAt !== null,
    decision: v.decision,
    ndcg10: m.overall["ndcg@10"],
    recall20: m.overall["recall@20"],
    coverage: m.coverage,
    popularityNdcg10: popularity,
    lift: popularity ? m.overall["ndcg@10"] / popularity : null,
  };
}

export type VersionHeadline = ReturnType<typeof headline>;

async function aliasesByVersion(db: Db): Promise<Map<number, string[]>> {
  const map = new Map<number, string[]>();
  for (const a of await db.modelAlias.findMany()) map.set(a.versionId, [...(map.get(a.versionId) ?? []), a.alias]);
  return map;
}

/** Versions newest first, with their headline numbers. */
export async function listVersions(db: Db, { page, pageSize }: { page: number; pageSize: number }) {
  const [total, versions, aliases] = await Promise.all([
    db.modelVersion.count(),
    db.modelVersion.findMany({ orderBy: { id: "desc" }, skip: (page - 1) * pageSize, take: pageSize }),
    aliasesByVersion(db),
  ]);
  return { total, versions: versions.map((v) => headline(v, aliases.get(v.id) ?? [])) };
}

/** NDCG@10 and recall@20 of every version over time, with its family (the chart draws one series per family). */
export async function qualityOverTime(db: Db, limit = 200) {
  const versions = await db.modelVersion.findMany({ orderBy: { id: "desc" }, take: limit });
  return versions.reverse().map((v) => ({
    id: v.id,
    family: v.family,
    createdAt: v.createdAt,
    ndcg10: evaluation(v).overall["ndcg@10"],
    recall20: evaluation(v).overall["recall@20"],
  }));
}

export async function versionDetail(db: Db, id: number) {
  const v = await db.modelVersion.findUnique({ where: { id }, include: { snapshot: true, aliases: true } });
  if (!v) return null;
  const training = readJson("model_versions.training", versionTrainingSchema, v.training);
  return {
    ...headline(
      v,
      v.aliases.map((a) => a.alias),
    ),
    params: v.params as Record<string, number>,
    codeVersion: v.codeVersion,
    metrics: evaluation(v),
    baseline: baseline(v),
    training,
    artefact: { digest: v.artefactDigest, bytes: v.artefactBytes, prunedAt: v.artefactPrunedAt },
    snapshot: v.snapshot,
  };
}

export const championSummary = async (db: Db) => {
  const champion = await db.modelAlias.findUnique({ where: { alias: "champion" }, include: { version: true } });
  const lastRun = await db.pipelineRun.findFirst({
    where: { pipeline: "train" },
    orderBy: { id: "desc" },
    select: { id: true, status: true, finishedAt: true, startedAt: true },
  });
  return {
    champion: champion ? { ...headline(champion.version, ["champion"]), since: champion.updatedAt, reason: champion.reason } : null,
    lastRun,
  };
};

export class NoEarlierChampionError extends DomainError {
  constructor() {
    super("PRECONDITION_FAILED", "There is no earlier champion to roll back to.");
    this.name = "NoEarlierChampionError";
  }
}

/** The champion before the current one, from the audit log of promotions. */
export async function previousChampion(db: Db): Promise<number> {
  const current = await db.modelAlias.findUnique({ where: { alias: "champion" } });
  const promotions = await db.auditLog.findMany({ where: { action: "model.promote" }, orderBy: { id: "desc" }, take: 50 });
  for (const p of promotions) {
    const from = (p.detail as { from?: number | null } | null)?.from;
    if (from && from !== current?.versionId) return from;
  }
  throw new NoEarlierChampionError();
}

export async function promote(db: Db, versionId: number, actor: { id: number; email: string; ip: string }, reason: string) {
  return setAlias(db, "champion", versionId, actor, reason);
}

export async function rollback(db: Db, actor: { id: number; email: string; ip: string }, reason: string) {
  return setAlias(db, "champion", await previousChampion(db), actor, `rollback: ${reason}`);
}

/** The champion's metrics on new listening, per day, beside its offline NDCG@10. */
export async function championOnline(db: Db, days = 60) {
  const champion = await db.modelAlias.findUnique({ where: { alias: "champion" }, include: { version: true } });
  if (!champion) return [];
  const rows = await db.modelOnlineMetric.findMany({ where: { versionId: champion.versionId }, orderBy: { day: "desc" }, take: days });
  const offline = evaluation(champion.version).overall["ndcg@10"];
  return rows.reverse().map((r) => {
    const m = r.metrics as Record<string, number>;
    return { day: r.day.toISOString().slice(0, 10), users: r.users, ndcg10: m["ndcg@10"] ?? 0, recall20: m["recall@20"] ?? 0, offlineNdcg10: offline };
  });
}
