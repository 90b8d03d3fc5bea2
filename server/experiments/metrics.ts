import type pg from "pg";
import { Moments } from "./stats";

/**
 * Each metric once: per exposed user, `y` (and for ratio metrics the denominator `x`) over the
 * listening and feedback that arrived in `windowDays` after their first exposure. Mean metrics take
 * the user's listening in the 14 days before exposure as CUPED's covariate.
 */
export interface MetricDefinition {
  label: string;
  description: string;
  kind: "mean" | "ratio";
  /** +1: higher is better; −1: lower is */
  direction: 1 | -1;
  windowDays: number;
  /** SQL over the per-user columns below */
  y: string;
  x: string;
}

export const METRICS = {
  hit_rate: {
    label: "Hit rate (7 days)",
    description: "Share of the tracks served to a listener in the experiment that they listened to within 7 days of their first exposure.",
    kind: "mean",
    direction: 1,
    windowDays: 7,
    y: "hit_rate",
    x: "pre_listens_per_day",
  },
  listens_per_day: {
    label: "Listens per day",
    description: "Tracks listened per day since first exposure (up to 14 days).",
    kind: "mean",
    direction: 1,
    windowDays: 14,
    y: "listens_per_day",
    x: "pre_listens_per_day",
  },
  new_tracks: {
    label: "New tracks discovered",
    description: "Distinct tracks listened to since first exposure (up to 14 days) that the listener had never listened to before.",
    kind: "mean",
    direction: 1,
    windowDays: 14,
    y: "new_tracks",
    x: "pre_listens_per_day",
  },
  plays_per_impression: { label: "Plays per impression", description: "play events ÷ impression events since first exposure.", kind: "ratio", direction: 1, windowDays: 14, y: "plays", x: "impressions" },
  likes_per_impression: { label: "Likes per impression", description: "like events ÷ impression events since first exposure.", kind: "ratio", direction: 1, windowDays: 14, y: "likes", x: "impressions" },
  skips_per_impression: { label: "Skips per impression", description: "skip events ÷ impression events since first exposure (lower is better).", kind: "ratio", direction: -1, windowDays: 14, y: "skips", x: "impressions" },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];

const PRE_DAYS = 14;

/**
 * Sufficient statistics per variant and metric, set-based in one statement: per-user values from
 * hash joins over exposures, listening and feedback, then sums per variant. `asOf` closes every
 * window (the newest listening ingested), so a day not ingested yet does not count as silence.
 */
export async function variantMoments(pool: pg.Pool, experimentId: number, asOf: Date): Promise<Map<string, Record<MetricKey, Moments>>> {
  // A window's end; `asOf` (the newest data, included) bounds every read as well.
  const window = (days: number) => `e.t0 + interval '${days} days'`;
  const sums = METRIC_KEYS.flatMap((key) => {
    const { y, x } = METRICS[key];
    return [`sum(${y})`, `sum((${y}) * (${y}))`, `sum(${x})`, `sum((${x}) * (${x}))`, `sum((${x}) * (${y}))`].map((expr, i) => `${expr}::float8 AS "${key}_${i}"`);
  });
  const { rows } = await pool.query<Record<string, number | string>>(
    `WITH e AS (
       SELECT user_id, variant, first_exposed_at AS t0, coalesce(served_track_ids, '{}') AS served
         FROM experiment_exposures WHERE experiment_id = $1 AND first_exposed_at <= $2
     ),
     listens AS (
       SELECT e.user_id,
              sum(cardinality(h.items)) FILTER (WHERE h.created_at >= e.t0 AND h.created_at < ${window(14)}) AS post,
              sum(cardinality(h.items)) FILTER (WHERE h.created_at >= e.t0 - interval '${PRE_DAYS} days' AND h.created_at < e.t0) AS pre
         FROM e JOIN listen_history h ON h.user_id = e.user_id AND h.created_at >= e.t0 - interval '${PRE_DAYS} days' AND h.created_at <= $2
        GROUP BY e.user_id
     ),
     heard AS (
       SELECT e.user_id, item, min(h.created_at) AS first_heard
         FROM e JOIN listen_history h ON h.user_id = e.user_id AND h.created_at <= $2, unnest(h.items) AS item
        GROUP BY e.user_id, item
     ),
     discovered AS (
       SELECT e.user_id,
              count(*) FILTER (WHERE d.first_heard >= e.t0 AND d.first_heard < ${window(14)}) AS new_tracks,
              count(*) FILTER (WHERE d.first_heard >= e.t0 AND d.first_heard < ${window(7)} AND d.item = ANY(e.served)) AS hits
         FROM e JOIN heard d ON d.user_id = e.user_id AND d.first_heard >= e.t0
        GROUP BY e.user_id
     ),
     feedback AS (
       SELECT e.user_id,
              count(*) FILTER (WHERE f.type = 'impression') AS impressions,
              count(*) FILTER (WHERE f.type = 'play') AS plays,
              count(*) FILTER (WHERE f.type = 'like') AS likes,
              count(*) FILTER (WHERE f.type = 'skip') AS skips
         FROM e JOIN feedback_events f ON f.user_id = e.user_id AND f.at >= e.t0 AND f.at < ${window(14)} AND f.at <= $2
        GROUP BY e.user_id
     ),
     per_user AS (
       SELECT e.variant,
              coalesce(l.post, 0)::float8 / greatest(1, least(14, extract(epoch FROM ($2::timestamptz - e.t0)) / 86400)) AS listens_per_day,
              coalesce(l.pre, 0)::float8 / ${PRE_DAYS} AS pre_listens_per_day,
              coalesce(d.new_tracks, 0)::float8 AS new_tracks,
              CASE WHEN cardinality(e.served) > 0 THEN coalesce(d.hits, 0)::float8 / cardinality(e.served) ELSE 0 END AS hit_rate,
              coalesce(f.impressions, 0)::float8 AS impressions, coalesce(f.plays, 0)::float8 AS plays,
              coalesce(f.likes, 0)::float8 AS likes, coalesce(f.skips, 0)::float8 AS skips
         FROM e LEFT JOIN listens l ON l.user_id = e.user_id LEFT JOIN discovered d ON d.user_id = e.user_id LEFT JOIN feedback f ON f.user_id = e.user_id
     )
     SELECT variant, count(*)::int AS n, ${sums.join(", ")} FROM per_user GROUP BY variant`,
    [experimentId, asOf],
  );
  const byVariant = new Map<string, Record<MetricKey, Moments>>();
  for (const row of rows) {
    const metrics = {} as Record<MetricKey, Moments>;
    for (const key of METRIC_KEYS) {
      const m = new Moments();
      m.n = Number(row.n);
      [m.sumY, m.sumY2, m.sumX, m.sumX2, m.sumXY] = [0, 1, 2, 3, 4].map((i) => Number(row[`${key}_${i}`] ?? 0)) as [number, number, number, number, number];
      metrics[key] = m;
    }
    byVariant.set(String(row.variant), metrics);
  }
  return byVariant;
}
