import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../db/client";
import { ingestionPipeline, type IngestionConfig } from "../ingestion/pipeline";
import { startRun } from "../pipeline/runner";
import { SkipRunError, type PipelineDefinition } from "../pipeline/types";
import { createExperiment, startExperiment } from "./experiments";
import { analyzePipeline } from "./pipeline";

export const DEMO_PIPELINE = "demo";

export interface DemoConfig {
  ingestion: IngestionConfig;
  deadlineUtc: string;
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

/**
 * The demo for an operator exploring Encore (the console's button; the CLI has `npm run demo:experiment`):
 * the champion against popularity on the simulator Encore ingests, whose listeners ask this console
 * for recommendations. Each day: the simulator moves a day on (listeners ask and play), ingest, analyse.
 */
export function demoPipeline(config: DemoConfig): PipelineDefinition {
  const sourceUrl = config.ingestion.sourceUrl ?? "";
  const advance = async () => {
    const response = await fetch(new URL("/admin/advance", sourceUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ days: 1 }) });
    if (!response.ok) throw new Error(`the simulator did not move on a day (HTTP ${response.status})`);
    // Exposures reach the database within the serving API's half-second batches.
    await sleep(1500);
  };
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
          // A day first, so the experiment's days come after its exposures on the simulator's clock too.
          await advance();
          const key = `demo-${ctx.run.id}`;
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
          ctx.detail({ experiment: key });
          ctx.log(`experiment ${key}: control v${popularity.id} (popularity), treatment v${champion.versionId} (${champion.version.family})`);
          // The serving API picks the experiment up at its next refresh.
          await sleep(3000);
        },
      },
      {
        name: "days",
        after: ["experiment"],
        async run(ctx) {
          for (let day = 1; day <= config.days; day++) {
            if (ctx.signal.aborted) throw new Error("cancelled");
            await advance();
            await runToEnd(ctx.database, ingestionPipeline(config.ingestion));
            await runToEnd(ctx.database, analyzePipeline({ deadlineUtc: config.deadlineUtc }));
            ctx.progress(day, config.days);
            ctx.log(`day ${day}: ingested and analysed`);
          }
        },
      },
    ],
  };
}
