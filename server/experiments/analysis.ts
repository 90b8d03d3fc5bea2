import type { z } from "zod";
import type { Database } from "../db/client";
import type { metricResultSchema, resultsSchema } from "./results-schema";
import type { Experiment, ExperimentVariant } from "../db/generated/client";
import { followedListening } from "./discoveries";
import { METRICS, variantMoments, type MetricKey } from "./metrics";
import { compare } from "./stats/compare";
import { benjaminiHochberg, holm } from "./stats/corrections";
import { cuped, meanEstimate, Moments, ratioEstimate, type Estimate } from "./stats/moments";
import { sampleRatioMismatch } from "./stats/srm";

const SRM_THRESHOLD = 0.001;
/** the sample size always-valid intervals are tightest at (GrowthBook's default tuning) */
const SEQUENTIAL_TUNING = 5000;

export type MetricResult = z.infer<typeof metricResultSchema>;
export type ResultsDocument = z.infer<typeof resultsSchema>;

type WithVariants = Experiment & { variants: ExperimentVariant[] };

const metricsOf = (e: Experiment) => [...new Set([e.primaryMetric, ...e.secondaryMetrics, ...e.guardrailMetrics])].filter((m): m is MetricKey => m in METRICS);

/** Days from the start to `asOf` whose ingestion failed, ended late or tripped an ERROR check: the results lean on them. */
async function dataQualityNotes(database: Database, from: Date, asOf: Date, deadlineUtc: string): Promise<string[]> {
  const { rows } = await database.pool.query<{ day: string; ok: boolean; late: boolean; errors: number }>(
    `WITH days AS (SELECT generate_series(date_trunc('day', $1::timestamptz), date_trunc('day', $2::timestamptz), interval '1 day') AS day)
     SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
            bool_or(r.status = 'success') AS ok,
            coalesce(bool_and(r.finished_at > d.day + $3::interval) FILTER (WHERE r.status = 'success'), false) AS late,
            (SELECT count(*)::int FROM check_results c JOIN pipeline_runs cr ON cr.id = c.run_id
              WHERE c.level = 'error' AND cr.pipeline = 'ingest' AND cr.started_at >= d.day AND cr.started_at < d.day + interval '1 day') AS errors
       FROM days d LEFT JOIN pipeline_runs r ON r.pipeline = 'ingest' AND r.started_at >= d.day AND r.started_at < d.day + interval '1 day'
      GROUP BY d.day ORDER BY d.day`,
    [from, asOf, `${deadlineUtc}:00`],
  );
  return rows.flatMap((r) => [
    ...(r.ok ? [] : [`${r.day}: no successful ingestion`]),
    ...(r.late ? [`${r.day}: ingestion finished after ${deadlineUtc} UTC`] : []),
    ...(r.errors > 0 ? [`${r.day}: ${r.errors} ERROR data check${r.errors > 1 ? "s" : ""}`] : []),
  ]);
}

/** Listening ingested since the discoveries last followed it is not in the results yet (the analyze pipeline follows it first). */
async function followingNotes(database: Database, followedAt: Date | null): Promise<string[]> {
  if (!followedAt) return ["first listens not followed yet: new_tracks and hit_rate count none until the analyze pipeline runs"];
  const { rows } = await database.pool.query<{ newer: number }>(
    "SELECT count(*)::int AS newer FROM pipeline_runs WHERE pipeline = 'ingest' AND status = 'success' AND finished_at > $1",
    [followedAt],
  );
  return rows[0]!.newer > 0
    ? [`listening ingested after ${followedAt.toISOString().slice(0, 16).replace("T", " ")} UTC is not counted yet: the analyze pipeline follows it`]
    : [];
}

/**
 * The results document of an experiment from the data as it stands (exposures, listening as far as
 * the discoveries followed it, feedback). It does not follow new listening itself (`refreshDiscoveries`,
 * the analyze pipeline's first task), so a web request never starts that work.
 */
export async function analyzeExperiment(database: Database, experiment: WithVariants, options: { deadlineUtc: string; now?: Date }): Promise<ResultsDocument> {
  const { newestListen, followedAt } = await followedListening(database.pool);
  const asOf = newestListen ?? options.now ?? new Date();
  const variants = [...experiment.variants].sort((a, b) => a.position - b.position);
  const moments = await variantMoments(database.pool, experiment.id, asOf);
  const empty = () => Object.fromEntries(metricsOf(experiment).map((m) => [m, new Moments()])) as Record<MetricKey, Moments>;
  const perVariant = variants.map((v) => moments.get(v.key) ?? empty());
  const users = perVariant.map((m) => m[experiment.primaryMetric as MetricKey]?.n ?? Object.values(m)[0]?.n ?? 0);
  const { rows: exposed } = await database.pool.query<{ variant: string; n: number }>(
    "SELECT variant, count(*)::int AS n FROM experiment_exposures WHERE experiment_id = $1 GROUP BY variant",
    [experiment.id],
  );
  const counts = variants.map((v) => exposed.find((r) => r.variant === v.key)?.n ?? 0);
  const srm = sampleRatioMismatch(
    counts,
    variants.map((v) => v.weight),
  );

  const sequential = experiment.sequential ? { tuning: SEQUENTIAL_TUNING } : null;
  const results = variants.map(() => ({}) as Record<string, MetricResult>);
  const tests: { variant: number; metric: MetricKey; p: number }[] = [];
  for (const metric of metricsOf(experiment)) {
    const definition = METRICS[metric];
    let estimates: Estimate[];
    let reduction: number | undefined;
    if (definition.kind === "ratio") estimates = perVariant.map((m) => ratioEstimate(m[metric]));
    else {
      const adjusted = cuped(perVariant.map((m) => m[metric]));
      estimates = adjusted.estimates;
      reduction = adjusted.varianceReduction;
    }
    const plain = perVariant.map((m) => (definition.kind === "ratio" ? ratioEstimate(m[metric]) : meanEstimate(m[metric])));
    variants.forEach((_, i) => {
      const result: MetricResult = { mean: plain[i]!.mean, ...(reduction === undefined ? {} : { varianceReduction: reduction }) };
      if (i > 0 && estimates[0]!.n > 1 && estimates[i]!.n > 1) {
        const c = compare(estimates[0]!, estimates[i]!, { alpha: experiment.alpha, direction: definition.direction, sequential });
        result.uplift = { absolute: c.absolute.estimate, relative: c.relative.estimate, ci: c.relative.ci, absoluteCi: c.absolute.ci };
        result.pValue = c.pValue;
        result.chanceToBeatControl = c.chanceToBeatControl;
        result.risk = c.risk;
        tests.push({ variant: i, metric, p: c.pValue });
      }
      results[i]![metric] = result;
    });
  }
  // Multiple comparisons over metrics × variants.
  const adjust = experiment.correction === "bh" ? benjaminiHochberg : experiment.correction === "none" ? (ps: readonly number[]) => [...ps] : holm;
  const adjusted = adjust(tests.map((t) => t.p));
  const guardrailBreached: string[] = [];
  tests.forEach((t, i) => {
    const r = results[t.variant]![t.metric]!;
    r.adjustedPValue = adjusted[i]!;
    r.significant = adjusted[i]! < experiment.alpha;
    const worse = METRICS[t.metric].direction * (r.uplift?.absolute ?? 0) < 0;
    if (r.significant && worse && experiment.guardrailMetrics.includes(t.metric)) guardrailBreached.push(`${variants[t.variant]!.key}: ${t.metric}`);
  });

  return {
    key: experiment.key,
    status: experiment.status,
    computedAt: (options.now ?? new Date()).toISOString(),
    asOf: asOf.toISOString(),
    primaryMetric: experiment.primaryMetric,
    secondaryMetrics: experiment.secondaryMetrics,
    guardrailMetrics: experiment.guardrailMetrics,
    alpha: experiment.alpha,
    sequential: experiment.sequential,
    correction: experiment.correction,
    srm: { ...srm, flagged: srm.pValue < SRM_THRESHOLD },
    dataQuality: [
      ...(await followingNotes(database, followedAt)),
      ...(experiment.startedAt ? await dataQualityNotes(database, experiment.startedAt, asOf, options.deadlineUtc) : []),
    ],
    guardrailBreached,
    variants: variants.map((v, i) => ({ key: v.key, modelVersion: v.versionId, weight: v.weight, users: users[i]!, metrics: results[i]! })),
  };
}
