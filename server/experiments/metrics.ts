import type pg from "pg";
import { Moments } from "./stats/moments";

/** The tables a metric's per-user sums read, each joined to a user's exposure (`e`) by user and time. */
const SOURCES = {
  listening: { cte: "listening", table: "listen_history", alias: "h", at: "h.created_at" },
  discoveries: { cte: "discovered", table: "discoveries", alias: "d", at: "d.heard_on" },
  feedback: { cte: "feedback", table: "feedback_events", alias: "f", at: "f.at" },
} as const;
type Source = keyof typeof SOURCES;

/**
 * Each metric once: per exposed user, a sum over the rows of its source that arrived in the
 * `windowDays` after their first exposure, made into the user's value `y`; ratio metrics add their
 * denominator `x` summed the same way, mean metrics take the user's listens per day in the 14 days
 * before exposure as CUPED's covariate. The analysis's SQL is generated from these declarations.
 */
export interface MetricDefinition {
  label: string;
  description: string;
  kind: "mean" | "ratio";
  /** +1: higher is better; −1: lower is */
  direction: 1 | -1;
  windowDays: number;
  from: Source;
  /** SQL per source row (aliases `h`, `d`, `f`; `e.served` the tracks served), summed per user over the window */
  sum: string;
  /** ratio metrics: the denominator per source row */
  per?: string;
  /** the user's value from their sum (`total`, float8) when it is not the sum itself; `e.t0` is their first exposure, `$2` the newest data */
  value?: (total: string, windowDays: number) => string;
}

export const METRICS = {
  hit_rate: {
    label: "Hit rate (7 days)",
    description: "Share of the tracks served to a listener in the experiment that they listened to within 7 days of their first exposure.",
    kind: "mean",
    direction: 1,
    windowDays: 7,
    from: "discoveries",
    sum: "(SELECT count(*) FROM unnest(d.track_ids) AS t WHERE t = ANY(e.served))",
    value: (hits) => `CASE WHEN cardinality(e.served) > 0 THEN ${hits} / cardinality(e.served) ELSE 0 END`,
  },
  listens_per_day: {
    label: "Listens per day",
    description: "Tracks listened per day since first exposure (up to 14 days).",
    kind: "mean",
    direction: 1,
    windowDays: 14,
    from: "listening",
    sum: "cardinality(h.items)",
    // Per day of the window that has data: a user exposed 3 days ago is not diluted by 11 days not ingested yet.
    value: (listens, days) => `${listens} / greatest(1, least(${days}, extract(epoch FROM ($2::timestamptz - e.t0)) / 86400))`,
  },
  new_tracks: {
    label: "New tracks discovered",
    description: "Distinct tracks listened to since first exposure (up to 14 days) that the listener had never listened to before.",
    kind: "mean",
    direction: 1,
    windowDays: 14,
    from: "discoveries",
    sum: "cardinality(d.track_ids)",
  },
  plays_per_impression: {
    label: "Plays per impression",
    description: "play events ÷ impression events since first exposure.",
    kind: "ratio",
    direction: 1,
    windowDays: 14,
    from: "feedback",
    sum: "(f.type = 'play')::int",
    per: "(f.type = 'impression')::int",
  },
  likes_per_impression: {
    label: "Likes per impression",
    description: "like events ÷ impression events since first exposure.",
    kind: "ratio",
    direction: 1,
    windowDays: 14,
    from: "feedback",
    sum: "(f.type = 'like')::int",
    per: "(f.type = 'impression')::int",
  },
  skips_per_impression: {
    label: "Skips per impression",
    description: "skip events ÷ impression events since first exposure (lower is better).",
    kind: "ratio",
    direction: -1,
    windowDays: 14,
    from: "feedback",
    sum: "(f.type = 'skip')::int",
    per: "(f.type = 'impression')::int",
  },
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
export async function variantMoments(
  pool: pg.Pool,
  experimentId: number,
  asOf: Date,
  options: { chunk?: number; metrics?: Record<MetricKey, MetricDefinition> } = {},
): Promise<Map<string, Record<MetricKey, Moments>>> {
  const { chunk = CHUNK, metrics = METRICS } = options;
  const sql = momentsSql(metrics);
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
      const { rows } = await pool.query<Record<string, number | string>>(sql, [experimentId, asOf, low, high]);
      for (const row of rows) {
        const variant = String(row.variant);
        const metrics = byVariant.get(variant) ?? (Object.fromEntries(METRIC_KEYS.map((key) => [key, new Moments()])) as Record<MetricKey, Moments>);
        for (const key of METRIC_KEYS)
          metrics[key].addSums(Number(row.n), [0, 1, 2, 3, 4].map((i) => Number(row[`${key}_${i}`] ?? 0)) as [number, number, number, number, number]);
        byVariant.set(variant, metrics);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return byVariant;
}

// A window's end; `$2` (asOf, the newest data, included) bounds every read as well.
const windowEnd = (days: number) => `e.t0 + interval '${days} days'`;
const column = (key: string, part: "y" | "x") => `"${key}_${part}"`;

/** One source's per-user sums, each metric's over its own window; the join reads up to the longest. */
function sourceSql(source: Source, metrics: [MetricKey, MetricDefinition][]): string {
  const { cte, table, alias, at } = SOURCES[source];
  const longest = Math.max(0, ...metrics.map(([, m]) => m.windowDays));
  // Listening also gives CUPED's covariate, from the days before exposure.
  const pre = source === "listening" ? [`sum(cardinality(h.items)) FILTER (WHERE ${at} < e.t0) AS pre`] : [];
  const from = source === "listening" ? `e.t0 - interval '${PRE_DAYS} days'` : "e.t0";
  // The join bounds every row by the longest window: a metric filters only what its own window narrows (a filter per row and sum costs).
  const inWindow = (days: number) => {
    const conditions = [...(pre.length ? [`${at} >= e.t0`] : []), ...(days < longest ? [`${at} < ${windowEnd(days)}`] : [])];
    return conditions.length ? ` FILTER (WHERE ${conditions.join(" AND ")})` : "";
  };
  const sums = metrics.flatMap(([key, m]) => [
    `sum(${m.sum})${inWindow(m.windowDays)} AS ${column(key, "y")}`,
    ...(m.per ? [`sum(${m.per})${inWindow(m.windowDays)} AS ${column(key, "x")}`] : []),
  ]);
  return `${cte} AS (
   SELECT e.user_id, ${[...pre, ...sums].join(", ")}
     FROM e JOIN ${table} ${alias} ON ${alias}.user_id = e.user_id AND ${alias}.user_id BETWEEN $3 AND $4
                      AND ${at} >= ${from} AND ${at} < ${windowEnd(longest)} AND ${at} <= $2
    GROUP BY e.user_id
 )`;
}

/** The statement for one range of listeners, ids $3..$4: every read is bounded by it, so each is an index range. */
function momentsSql(metrics: Record<MetricKey, MetricDefinition>): string {
  const declared = METRIC_KEYS.map((key) => [key, metrics[key]] as [MetricKey, MetricDefinition]);
  // Listening always: it gives CUPED's covariate.
  const sources = (Object.keys(SOURCES) as Source[]).filter((source) => source === "listening" || declared.some(([, m]) => m.from === source));
  const perUser = declared.flatMap(([key, m]) => {
    const total = `coalesce(${SOURCES[m.from].cte}.${column(key, "y")}, 0)::float8`;
    return [
      `${m.value ? m.value(total, m.windowDays) : total} AS ${column(key, "y")}`,
      ...(m.per ? [`coalesce(${SOURCES[m.from].cte}.${column(key, "x")}, 0)::float8 AS ${column(key, "x")}`] : []),
    ];
  });
  const sums = declared.flatMap(([key, m]) => {
    const y = column(key, "y");
    const x = m.kind === "ratio" ? column(key, "x") : "pre_listens_per_day";
    return [`sum(${y})`, `sum(${y} * ${y})`, `sum(${x})`, `sum(${x} * ${x})`, `sum(${x} * ${y})`].map((expr, i) => `${expr}::float8 AS "${key}_${i}"`);
  });
  return `WITH e AS (
   SELECT user_id, variant, first_exposed_at AS t0, coalesce(served_track_ids, '{}') AS served
     FROM experiment_exposures WHERE experiment_id = $1 AND user_id BETWEEN $3 AND $4 AND first_exposed_at <= $2
 ),
 ${sources
   .map((source) =>
     sourceSql(
       source,
       declared.filter(([, m]) => m.from === source),
     ),
   )
   .join(",\n ")},
 per_user AS (
   SELECT e.variant, coalesce(listening.pre, 0)::float8 / ${PRE_DAYS} AS pre_listens_per_day, ${perUser.join(", ")}
     FROM e ${sources.map((source) => `LEFT JOIN ${SOURCES[source].cte} ON ${SOURCES[source].cte}.user_id = e.user_id`).join(" ")}
 )
 SELECT variant, count(*)::int AS n, ${sums.join(", ")} FROM per_user GROUP BY variant`;
}
