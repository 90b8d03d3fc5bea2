import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../db/client";
import { ingestionPipeline, type IngestionConfig } from "../ingestion/pipeline";
import { writeOutput } from "../pipeline/outputs";
import { startRun } from "../pipeline/runner";
import { SkipRunError, type PipelineDefinition } from "../pipeline/types";
import type { ResultsDocument } from "./analysis";
import { createExperiment, decideExperiment, getExperiment, startExperiment } from "./experiments";
import { demoExperimentOutput } from "./outputs";
import { analyzePipeline, type AnalyzeConfig } from "./pipeline";
import { readResults } from "./results-schema";

export const DEMO_PIPELINE = "demo";

export interface DemoConfig {
  ingestion: IngestionConfig;
  analysis: AnalyzeConfig;
  days: number;
}

/** True when the source is a simulator Encore can move on (its /admin/stats answers). */
export async function sourceIsSimulator(sourceUrl: string | undefined): Promise<boolean> {
  if (!sourceUrl) return false;
  const response = await fetch(new URL("/admin/stats", sourceUrl), { signal: AbortSignal.timeout(2000) }).catch(() => null);
  return response?.ok ?? false;
}

async function runToEnd(database: Database, definition: PipelineDefinition): Promise<void> {
  const started = await startRun(database, definition, { trigger: "console", triggeredBy: "demo" });
  const ended = started.deduped ? null : await started.finished;
  if (ended?.status !== "success") throw new Error(`the ${definition.name} run ${started.run.id} ended ${ended?.status ?? "elsewhere"}: ${ended?.error ?? ""}`);
}

/** The listeners' round on the simulator: they ask this Encore now, and what they play is dated up to the real now. */
async function playRound(sourceUrl: string): Promise<void> {
  const response = await fetch(new URL("/admin/round", sourceUrl), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  if (!response.ok)
    throw new Error(
      `the simulator did not play a round (HTTP ${response.status}): ${((await response.json().catch(() => null)) as { detail?: string } | null)?.detail ?? ""}`,
    );
  // Exposures reach the database within the serving API's half-second batches.
  await sleep(1500);
}

/** What the demo concluded, for its decision note: the primary metric's uplift in the last results. */
function conclusion(results: ResultsDocument | undefined, rounds: number): string {
  const treatment = results?.variants[1];
  const primary = treatment?.metrics[results!.primaryMetric];
  const pct = (v: number) => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;
  const found = primary?.uplift
    ? `${treatment!.key} ${results!.primaryMetric} ${pct(primary.uplift.relative)} [${pct(primary.uplift.ci[0])}, ${pct(primary.uplift.ci[1])}]${primary.significant ? ", significant" : ", not significant"}`
    : "no comparable results";
  return `Demo over after ${rounds} day${rounds === 1 ? "" : "s"}: ${found}. Nothing shipped: a demo changes nothing served.`;
}

/**
 * The demo for an operator exploring Encore (the console's button; the CLI has `npm run demo:experiment`):
 * the champion against popularity on the simulator Encore ingests, whose listeners ask this console
 * for recommendations. A demo day is a round in real time: the listeners ask and play (dated up to
 * the real now, never after it), then ingest and analyse. At the end, ended or not, its experiment
 * is decided without shipping anything, so the console serves what it served before.
 */
export function demoPipeline(config: DemoConfig): PipelineDefinition {
  const sourceUrl = config.ingestion.sourceUrl ?? "";
  let rounds = 0;
  return {
    name: DEMO_PIPELINE,
    tasks: [
      {
        name: "experiment",
        async run(ctx) {
          if (!(await sourceIsSimulator(sourceUrl))) throw new SkipRunError("The demo needs the built-in simulator as the source (MOOVITAMIX_URL unset).");
          const champion = await ctx.database.db.modelAlias.findUnique({ where: { alias: "champion" }, include: { version: true } });
          const popularity = await ctx.database.db.modelVersion.findFirst({ where: { family: "popularity", artefactPrunedAt: null }, orderBy: { id: "desc" } });
          if (!champion || !popularity) throw new SkipRunError("Train models first: the demo compares the champion with popularity.");
          const key = demoExperimentKey(ctx.run.id);
          const actor = { email: "demo" };
          await createExperiment(
            ctx.database.db,
            {
              key,
              name: `Demo: ${champion.version.family} against popularity`,
              hypothesis: "Listeners play more of what the model recommends than of what is popular.",
              variants: [
                { key: "control", versionId: popularity.id, weight: 1 },
                { key: "treatment", versionId: champion.versionId, weight: 1 },
              ],
              coverage: 1,
              primaryMetric: "plays_per_impression",
              secondaryMetrics: ["hit_rate", "listens_per_day", "new_tracks"],
              guardrailMetrics: ["skips_per_impression"],
              correction: "holm",
              sequential: true,
              alpha: 0.05,
            },
            actor,
          );
          await startExperiment(ctx.database.db, key, actor);
          writeOutput(ctx, demoExperimentOutput, { experiment: key });
          ctx.log(`experiment ${key}: control v${popularity.id} (popularity), treatment v${champion.versionId} (${champion.version.family})`);
          // The serving API picks the experiment up at its next refresh.
          await sleep(3000);
        },
      },
      {
        name: "days",
        needs: ["experiment"],
        async run(ctx) {
          for (let day = 1; day <= config.days; day++) {
            if (ctx.signal.aborted) throw new Error("cancelled");
            await playRound(sourceUrl);
            await runToEnd(ctx.database, ingestionPipeline(config.ingestion));
            await runToEnd(ctx.database, analyzePipeline(config.analysis));
            rounds = day;
            ctx.progress(day, config.days);
            ctx.log(`day ${day}: listeners asked and played, ingested and analysed`);
          }
        },
      },
      {
        // Whatever the days did: a demo leaves no experiment running and ships nothing.
        name: "decide",
        after: ["experiment", "days"],
        async run(ctx) {
          const key = demoExperimentKey(ctx.run.id);
          const experiment = await getExperiment(ctx.database.db, key);
          if (!experiment || (experiment.status !== "running" && experiment.status !== "stopped")) return;
          const latest = await ctx.database.db.experimentResult.findFirst({
            where: { experimentId: experiment.id },
            orderBy: [{ day: "desc" }, { computedAt: "desc" }],
          });
          const note = conclusion(latest ? readResults(latest.results) : undefined, rounds);
          await decideExperiment(ctx.database.db, key, { variant: null, note }, { email: "demo" });
          ctx.log(`experiment ${key} decided, nothing shipped. ${note}`);
        },
      },
    ],
  };
}

export const demoExperimentKey = (runId: number) => `demo-${runId}`;
