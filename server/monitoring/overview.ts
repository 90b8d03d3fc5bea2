import type { Database } from "../db/client";
import { datasetFreshness, type CheckPolicy } from "../ingestion/checks";

const DAY = 86_400_000;

interface RateRow {
  span: string;
  ended: number;
  succeeded: number;
}
interface DurationRow {
  p50: number | null;
  p95: number | null;
}

/** What the Overview shows: the last run, success rates, durations, rows, freshness, open alerts, and the chart series. */
export async function pipelineOverview(
  database: Database,
  pipeline: string,
  policy: Pick<CheckPolicy, "freshnessWarnHours" | "freshnessErrorHours">,
  now = new Date(),
) {
  const { db, pool } = database;
  const since30 = new Date(now.getTime() - 30 * DAY);
  const [lastRun, rates, durations, durationSeries, rowsPerRun, outcomesPerDay, rowsPerDay, freshness, openAlerts] = await Promise.all([
    db.pipelineRun.findFirst({
      where: { pipeline },
      orderBy: { id: "desc" },
      select: { id: true, status: true, trigger: true, createdAt: true, startedAt: true, finishedAt: true, error: true },
    }),
    pool.query<RateRow>(
      `SELECT w.span, count(r.id)::int AS ended, count(r.id) FILTER (WHERE r.status = 'success')::int AS succeeded
         FROM (VALUES ('7d', $2::timestamptz - interval '7 days'), ('30d', $2::timestamptz - interval '30 days')) AS w(span, since)
         LEFT JOIN pipeline_runs r ON r.pipeline = $1 AND r.status IN ('success', 'failed') AND r.created_at >= w.since
        GROUP BY w.span`,
      [pipeline, now],
    ),
    pool.query<DurationRow>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY d) AS p95
         FROM (SELECT extract(epoch FROM finished_at - started_at) AS d FROM pipeline_runs
                WHERE pipeline = $1 AND status = 'success' AND created_at >= $2) s`,
      [pipeline, since30],
    ),
    pool.query<{ id: number; started_at: Date; seconds: number; status: string }>(
      `SELECT id, started_at, extract(epoch FROM finished_at - started_at)::float AS seconds, status FROM pipeline_runs
        WHERE pipeline = $1 AND finished_at IS NOT NULL AND started_at IS NOT NULL ORDER BY id DESC LIMIT 60`,
      [pipeline],
    ),
    pool.query<{ id: number; task: string; rows: number }>(
      `SELECT r.id, t.task, max(t.rows_fetched)::int AS rows FROM (SELECT id FROM pipeline_runs WHERE pipeline = $1 ORDER BY id DESC LIMIT 30) r
         JOIN task_runs t ON t.run_id = r.id AND t.task IN ('tracks', 'users', 'listen_history')
        GROUP BY r.id, t.task ORDER BY r.id`,
      [pipeline],
    ),
    pool.query<{ day: string; success: number; failed: number }>(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
              count(*) FILTER (WHERE status = 'success')::int AS success, count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM pipeline_runs WHERE pipeline = $1 AND created_at >= $2 GROUP BY 1 ORDER BY 1`,
      [pipeline, since30],
    ),
    pool.query<{ day: string; task: string; rows: number }>(
      `SELECT to_char(date_trunc('day', r.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, t.task,
              sum(t.rows_inserted + t.rows_updated)::int AS rows
         FROM pipeline_runs r JOIN task_runs t ON t.run_id = r.id AND t.status = 'success' AND t.task IN ('tracks', 'users', 'listen_history')
        WHERE r.pipeline = $1 AND r.created_at >= $2 GROUP BY 1, 2 ORDER BY 1`,
      [pipeline, since30],
    ),
    datasetFreshness(database, policy, now),
    db.alert.count({ where: { state: { not: "resolved" } } }),
  ]);

  const rate = (w: string) => {
    const row = rates.rows.find((r) => r.span === w);
    return row && row.ended > 0 ? { ended: row.ended, succeeded: row.succeeded, share: row.succeeded / row.ended } : { ended: 0, succeeded: 0, share: null };
  };
  const runsById = new Map<number, Record<string, number>>();
  for (const r of rowsPerRun.rows) runsById.set(r.id, { ...(runsById.get(r.id) ?? {}), [r.task]: r.rows });
  const days = new Map<string, Record<string, number>>();
  for (const r of rowsPerDay.rows) days.set(r.day, { ...(days.get(r.day) ?? {}), [r.task]: r.rows });

  return {
    now,
    lastRun: lastRun && { ...lastRun, ageSeconds: Math.round((now.getTime() - lastRun.createdAt.getTime()) / 1000) },
    successRate: { d7: rate("7d"), d30: rate("30d") },
    durationSeconds: { p50: durations.rows[0]?.p50 ?? null, p95: durations.rows[0]?.p95 ?? null },
    openAlerts,
    freshness: freshness.map((f) => ({ ...f, warnHours: policy.freshnessWarnHours, errorHours: policy.freshnessErrorHours })),
    charts: {
      durations: durationSeries.rows
        .reverse()
        .map((r) => ({ run: r.id, startedAt: r.started_at.toISOString(), seconds: Number(r.seconds.toFixed(2)), status: r.status })),
      rowsPerRun: [...runsById.entries()].map(([run, rows]) => ({
        run,
        tracks: rows.tracks ?? 0,
        users: rows.users ?? 0,
        listen_history: rows.listen_history ?? 0,
      })),
      outcomesPerDay: outcomesPerDay.rows,
      rowsPerDay: [...days.entries()].map(([day, rows]) => ({
        day,
        tracks: rows.tracks ?? 0,
        users: rows.users ?? 0,
        listen_history: rows.listen_history ?? 0,
      })),
    },
  };
}

export type PipelineOverview = Awaited<ReturnType<typeof pipelineOverview>>;
