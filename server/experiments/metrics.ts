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

/** Listeners per statement: each statement's hash tables stay in memory (at 1,000,000 in one statement they spilled to disk). */
const CHUNK = 50_000;
/** statements at once: PostgreSQL runs each on one core */
const CONCURRENCY = 2;

/**
 * Sufficient statistics per variant and metric, set-based: per-user values from hash joins over
 * exposures, listening, discoveries (`refreshDiscoveries`) and feedback, summed per variant. The
 * listeners are cut into ranges of ids, one statement each, and the sums added up (they are
 * additive). `asOf` closes every window (the newest listening ingested), so a day not ingested yet
 * does not count as silence.
 */
export async function variantMoments(pool: pg.Pool, experimentId: number, asOf: Date, chunk = CHUNK): Promise<Map<string, Record<MetricKey, Moments>>> {
  const { rows: starts } = await pool.query<{ user_id: number }>(
    `SELECT user_id FROM (SELECT user_id, row_number() OVER (ORDER BY user_id) AS n FROM experiment_exposures WHERE experiment_id = $1 AND first_exposed_at <= $2) e
      WHERE (n - 1) % $3 = 0 ORDER BY user_id`,
    [experimentId, asOf, chunk],
  );
  const ranges = starts.map((s, i) => [s.user_id, i + 1 < starts.length ? starts[i + 1]!.user_id - 1 : 2 ** 31 - 1] as const);
  const byVariant = new Map<string, Record<MetricKey, Moments>>();
  const next = ranges.values();
  const worker = async () => {
    for (const [low, high] of next) {
      const { rows } = await pool.query<Record<string, number | string>>(MOMENTS_SQL, [experimentId, asOf, low, high]);
      for (const row of rows) {
        const variant = String(row.variant);
        const metrics = byVariant.get(variant) ?? (Object.fromEntries(METRIC_KEYS.map((key) => [key, new Moments()])) as Record<MetricKey, Moments>);
        for (const key of METRIC_KEYS) metrics[key].addSums(Number(row.n), [0, 1, 2, 3, 4].map((i) => Number(row[`${key}_${i}`] ?? 0)) as [number, number, number, number, number]);
        byVariant.set(variant, metrics);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return byVariant;
}

// A window's end; `$2` (asOf, the newest data, included) bounds every read as well.
const window = (days: number) => `e.t0 + interval '${days} days'`;
const SUMS = METRIC_KEYS.flatMap((key) => {
  const { y, x } = METRICS[key];
  return [`sum(${y})`, `sum((${y}) * (${y}))`, `sum(${x})`, `sum((${x}) * (${x}))`, `sum((${x}) * (${y}))`].map((expr, i) => `${expr}::float8 AS "${key}_${i}"`);
});
// One range of listeners, ids $3..$4: every read is bounded by it, so each is an index range.
const MOMENTS_SQL = `WITH e AS (
   SELECT user_id, variant, first_exposed_at AS t0, coalesce(served_track_ids, '{}') AS served
     FROM experiment_exposures WHERE experiment_id = $1 AND user_id BETWEEN $3 AND $4 AND first_exposed_at <= $2
 ),
 listens AS (
   SELECT e.user_id,
          sum(cardinality(h.items)) FILTER (WHERE h.created_at >= e.t0 AND h.created_at < ${window(14)}) AS post,
          sum(cardinality(h.items)) FILTER (WHERE h.created_at >= e.t0 - interval '${PRE_DAYS} days' AND h.created_at < e.t0) AS pre
     FROM e JOIN listen_history h ON h.user_id = e.user_id AND h.user_id BETWEEN $3 AND $4
                                 AND h.created_at >= e.t0 - interval '${PRE_DAYS} days' AND h.created_at <= $2
    GROUP BY e.user_id
 ),
 discovered AS (
   SELECT e.user_id,
          sum(cardinality(d.track_ids)) AS new_tracks,
          sum((SELECT count(*) FROM unnest(d.track_ids) AS t WHERE t = ANY(e.served))) FILTER (WHERE d.heard_on < ${window(7)}) AS hits
     FROM e JOIN discoveries d ON d.user_id = e.user_id AND d.user_id BETWEEN $3 AND $4
                              AND d.heard_on >= e.t0 AND d.heard_on < ${window(14)} AND d.heard_on <= $2
    GROUP BY e.user_id
 ),
 feedback AS (
   SELECT e.user_id,
          count(*) FILTER (WHERE f.type = 'impression') AS impressions,
          count(*) FILTER (WHERE f.type = 'play') AS plays,
          count(*) FILTER (WHERE f.type = 'like') AS likes,
          count(*) FILTER (WHERE f.type = 'skip') AS skips
     FROM e JOIN feedback_events f ON f.user_id = e.user_id AND f.user_id BETWEEN $3 AND $4
                                  AND f.at >= e.t0 AND f.at < ${window(14)} AND f.at <= $2
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
 SELECT variant, count(*)::int AS n, ${SUMS.join(", ")} FROM per_user GROUP BY variant`;
