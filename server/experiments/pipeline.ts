import type { Database } from "../db/client";
import { writeJson } from "../db/json";
import type { ConditionSource, Condition } from "../pipeline/alerts";
import { writeOutput } from "../pipeline/outputs";
import type { PipelineDefinition } from "../pipeline/types";
import { refreshDiscoveries } from "./discoveries";
import { analyzeExperiment } from "./analysis";
import { maintainFeedbackPartitions } from "./feedback-partitions";
import { analyzeOutput, discoveriesOutput, feedbackPartitionsOutput } from "./outputs";
import { readResults, resultsSchema } from "./results-schema";

export const ANALYZE_PIPELINE = "analyze";

export interface AnalyzeConfig {
  /** ALERT_DEADLINE_UTC: a day's data is complete once it passed */
  deadlineUtc: string;
  /** FEEDBACK_KEEP_DAYS */
  feedbackKeepDays: number;
}

/**
 * The `analyze` pipeline: every running experiment's results from the data as it stands, one snapshot
 * per data day; and the feedback events' months, made ahead and dropped past FEEDBACK_KEEP_DAYS.
 */
export function analyzePipeline(options: AnalyzeConfig): PipelineDefinition {
  return {
    name: ANALYZE_PIPELINE,
    tasks: [
      {
        // Its own task, so the ledger shows what following the new listening cost.
        name: "discoveries",
        async run(ctx) {
          const refreshed = await refreshDiscoveries(ctx.database.pool);
          ctx.log(`${refreshed.rows} history rows since the last refresh; ${refreshed.firstListens} first listens`);
          writeOutput(ctx, discoveriesOutput, { ...refreshed, newestListen: refreshed.newestListen?.toISOString() ?? null });
        },
      },
      {
        name: "analyze",
        needs: ["discoveries"],
        async run(ctx) {
          const running = await ctx.database.db.experiment.findMany({ where: { status: "running" }, include: { variants: true }, orderBy: { id: "asc" } });
          for (const experiment of running) {
            const results = await analyzeExperiment(ctx.database, experiment, { deadlineUtc: options.deadlineUtc });
            const day = new Date(`${results.asOf.slice(0, 10)}T00:00:00Z`);
            const json = writeJson(resultsSchema, results);
            await ctx.database.db.experimentResult.upsert({
              where: { experimentId_day: { experimentId: experiment.id, day } },
              create: { experimentId: experiment.id, day, results: json, analysisRunId: ctx.run.id },
              update: { results: json, computedAt: new Date(), analysisRunId: ctx.run.id },
            });
            const primary = results.variants
              .slice(1)
              .map((v) => `${v.key} ${formatUplift(v.metrics[results.primaryMetric]?.uplift?.relative)}`)
              .join(", ");
            ctx.log(
              `${experiment.key}: ${results.variants.map((v) => `${v.key} ${v.users}`).join(" / ")} users; ${results.primaryMetric} ${primary}; SRM p ${results.srm.pValue.toFixed(4)}`,
            );
          }
          writeOutput(ctx, analyzeOutput, { experiments: running.length });
        },
      },
      {
        // After the analysis: an experiment decided meanwhile no longer holds its months back.
        name: "feedback-partitions",
        needs: ["analyze"],
        async run(ctx) {
          const kept = await maintainFeedbackPartitions(ctx.database.pool, options.feedbackKeepDays);
          const held = kept.heldBy ? ` (held back by experiment ${kept.heldBy})` : "";
          ctx.log(
            `feedback events before ${kept.cutoff.toISOString()}${held} removed: ${kept.dropped.length} months dropped, ${kept.deletedFromDefault} from the default partition; ${kept.created.length} months made`,
          );
          writeOutput(ctx, feedbackPartitionsOutput, { ...kept, cutoff: kept.cutoff.toISOString() });
        },
      },
    ],
  };
}

const formatUplift = (relative: number | undefined) => (relative === undefined ? "—" : `${relative >= 0 ? "+" : ""}${(relative * 100).toFixed(1)}%`);

/** Incidents from the latest analysis of each running experiment: SRM, and a guardrail significantly worse. */
export const experimentConditions: ConditionSource = async (database: Database) => {
  const running = await database.db.experiment.findMany({ where: { status: "running" }, select: { id: true, key: true } });
  const holding: Condition[] = [];
  for (const experiment of running) {
    const latest = await database.db.experimentResult.findFirst({ where: { experimentId: experiment.id }, orderBy: { day: "desc" } });
    if (!latest) continue;
    const results = readResults(latest.results);
    if (results.srm.flagged) {
      holding.push({
        incidentKey: `experiment_srm:${ANALYZE_PIPELINE}:${experiment.key}`,
        kind: "experiment_srm",
        severity: "error",
        title: `sample ratio mismatch in experiment ${experiment.key}`,
        detail: `exposures do not match the weights (χ² ${results.srm.chiSquare.toFixed(1)}, p ${results.srm.pValue.toExponential(2)}): its results cannot be trusted until the cause is found`,
        fields: { experiment: experiment.key, pValue: results.srm.pValue },
      });
    }
    if (results.guardrailBreached.length) {
      holding.push({
        incidentKey: `experiment_guardrail:${ANALYZE_PIPELINE}:${experiment.key}`,
        kind: "experiment_guardrail",
        severity: "error",
        title: `a guardrail metric is significantly worse in experiment ${experiment.key}`,
        detail: results.guardrailBreached.join("; "),
        fields: { experiment: experiment.key, breached: results.guardrailBreached.join(", ") },
      });
    }
  }
  return { kinds: ["experiment_srm", "experiment_guardrail"], holding };
};
