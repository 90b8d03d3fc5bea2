import type { Database } from "../db/client";
import { readJson, writeJson } from "../db/json";
import type { Condition, ConditionSource } from "../pipeline/alerts";
import { versionNdcg10 } from "./evaluate";
import { MetricAccumulator, metricSetSchema, type MetricSet } from "./ranking-metrics";
import { championOf } from "./registry";

export interface OnlineResult {
  versionId: number;
  day: string;
  users: number;
  metrics: MetricSet;
}

/**
 * The champion judged on what its users went on to do: for each user with batch scores who listened,
 * after the champion's snapshot, to tracks they had not heard before it, those tracks against the
 * champion's top 10 and 20 (precision, recall, NDCG, MAP, hit rate). Stored for the day (UTC) of the
 * ingestion that brought the listens; null when there is no champion or nothing new.
 */
export async function measureChampionOnline(database: Database, ingestionRunId: number | null, now = new Date()): Promise<OnlineResult | null> {
  const champion = await championOf(database.db);
  if (!champion) return null;
  const snapshot = await database.db.trainSnapshot.findUnique({ where: { id: champion.version.snapshotId }, select: { newestListenAt: true } });
  if (!snapshot?.newestListenAt) return null;
  // New discoveries: tracks a user listened to after the snapshot and not before it. The snapshot keeps
  // its newest listen to the millisecond, listens have microseconds: that same listen is not new.
  const { rows } = await database.pool.query<{ user_id: number; found: number[]; ranked: number[] }>(
    `WITH after AS (
       SELECT h.user_id, array_agg(DISTINCT item) AS found
         FROM listen_history h, unnest(h.items) AS item
        WHERE h.created_at >= $2::timestamptz + interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM listen_history b WHERE b.user_id = h.user_id AND b.created_at < $2::timestamptz + interval '1 millisecond' AND item = ANY (b.items))
        GROUP BY h.user_id)
     SELECT a.user_id, a.found, r.track_ids[1:20] AS ranked
       FROM after a JOIN recommendations r ON r.version_id = $1 AND r.user_id = a.user_id`,
    [champion.versionId, snapshot.newestListenAt],
  );
  if (rows.length === 0) return null;
  const accumulator = new MetricAccumulator();
  for (const row of rows) accumulator.add(row.ranked, new Set(row.found));
  const metrics = accumulator.result();
  const json = writeJson(metricSetSchema, metrics);
  const day = now.toISOString().slice(0, 10);
  await database.db.modelOnlineMetric.upsert({
    where: { versionId_day: { versionId: champion.versionId, day: new Date(`${day}T00:00:00Z`) } },
    create: { versionId: champion.versionId, day: new Date(`${day}T00:00:00Z`), ingestionRunId, users: metrics.users, metrics: json },
    update: { computedAt: now, ingestionRunId, users: metrics.users, metrics: json },
  });
  return { versionId: champion.versionId, day, users: metrics.users, metrics };
}

export interface ModelAlertPolicy {
  /** the champion was trained more than this many days ago */
  championMaxAgeDays: number;
  /** its NDCG@10 on new listening fell below its offline value by more than this share */
  onlineDropShare: number;
  /** the latest train run's best version is below the champion's NDCG@10 by more than this share */
  newVersionDropShare: number;
}

/** The served model's incidents, judged with the train pipeline's alerts. */
export const modelConditions =
  (policy: ModelAlertPolicy): ConditionSource =>
  async (database, now) => {
    const kinds = ["champion_stale", "model_online_drop", "model_regression"];
    const holding: Condition[] = [];
    const champion = await championOf(database.db);
    if (!champion) return { kinds, holding };
    const version = champion.version;
    const offline = versionNdcg10(version);
    const ageDays = (now.getTime() - version.createdAt.getTime()) / 86_400_000;
    if (ageDays > policy.championMaxAgeDays) {
      holding.push({
        incidentKey: "champion_stale:train",
        kind: "champion_stale",
        severity: "warning",
        title: `the champion (version ${version.id}) was trained ${Math.floor(ageDays)} days ago`,
        detail: `older than ${policy.championMaxAgeDays} days: are train runs failing or being skipped?`,
        fields: { version: version.id, family: version.family, ageDays: Math.floor(ageDays) },
      });
    }
    const online = await database.db.modelOnlineMetric.findFirst({ where: { versionId: version.id }, orderBy: { day: "desc" } });
    const onlineNdcg10 = online ? readJson("model_online_metrics.metrics", metricSetSchema, online.metrics)["ndcg@10"] : null;
    if (online && onlineNdcg10 !== null && onlineNdcg10 < offline * (1 - policy.onlineDropShare)) {
      holding.push({
        incidentKey: "model_online_drop:train",
        kind: "model_online_drop",
        severity: "warning",
        title: `the champion's NDCG@10 on new listening is ${onlineNdcg10.toFixed(4)}, against ${offline.toFixed(4)} offline`,
        detail: `more than ${policy.onlineDropShare * 100}% below its offline value, on ${online.users} users' listening of ${online.day.toISOString().slice(0, 10)}`,
        fields: { version: version.id, online: Number(onlineNdcg10.toFixed(4)), offline: Number(offline.toFixed(4)) },
      });
    }
    const latestRun = await database.db.pipelineRun.findFirst({
      where: { pipeline: "train", modelVersions: { some: {} } },
      orderBy: { id: "desc" },
      include: { modelVersions: true },
    });
    const best = latestRun?.modelVersions.reduce((a, b) => (versionNdcg10(b) > versionNdcg10(a) ? b : a));
    if (best && best.id !== version.id && versionNdcg10(best) < offline * (1 - policy.newVersionDropShare)) {
      holding.push({
        incidentKey: "model_regression:train",
        kind: "model_regression",
        severity: "warning",
        title: `train run ${latestRun!.id}'s best version (${best.id}, ${best.family}) is well below the champion`,
        detail: `NDCG@10 ${versionNdcg10(best).toFixed(4)} against the champion's ${offline.toFixed(4)}: more than ${policy.newVersionDropShare * 100}% below`,
        fields: { version: best.id, champion: version.id },
        runId: latestRun!.id,
      });
    }
    return { kinds, holding };
  };
