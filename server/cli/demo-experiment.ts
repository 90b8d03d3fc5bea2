import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDatabase } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrate } from "../db/migrations";
import { analyzeExperiment, type ResultsDocument } from "../experiments/analysis";
import { refreshDiscoveries } from "../experiments/discoveries";
import { createExperiment, getExperiment, startExperiment } from "../experiments/experiments";
import { DEFAULT_INGESTION, ingestionPipeline } from "../ingestion/pipeline";
import { freePort } from "../runtime/ports";
import { startRun } from "../pipeline/runner";
import type { PipelineDefinition } from "../pipeline/types";
import { DEFAULT_TRAIN, trainPipeline } from "../recommender/pipeline";
import { createApiKey } from "../serving/api-keys";
import { listenRest } from "../serving/node-http";
import { engineFor } from "../serving/service";
import { catalogueOptions } from "../simulator/options";
import { startSimulator } from "../simulator/server";
import { openStore } from "../storage/open";

const USAGE = "npm run demo:experiment -- [--days 14] [--aa] [--json] [--seed 42]";

/**
 * An A/B test of the best model against popularity (or, with --aa, of the best model against
 * itself) on the realistic simulator, whose listeners answer the recommendations: a fresh embedded
 * database, ingestion and training, then day by day (rounds in real time, never dated after it): listeners ask and play → ingest → analyse.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      days: { type: "string", default: "14" },
      aa: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      seed: { type: "string", default: "42" },
    },
  });
  const days = Number(values.days);
  const seed = Number(values.seed);
  if (!Number.isInteger(days) || days < 1 || days > 60 || !Number.isInteger(seed)) throw new Error(`--days is 1 to 60 and --seed an integer.\n${USAGE}`);
  // With --json the results document alone goes to standard output; everything else to standard error.
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (values.json) console.log = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(" ")}\n`);

  const root = await mkdtemp(path.join(os.tmpdir(), "encore-demo-"));
  await chmod(root, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(root, "pg"), port: await freePort(), password: "demo", database: "postgres" });
  await migrate(pg.url);
  const database = createDatabase(pg.url, 8);
  const simulator = await startSimulator({ ...catalogueOptions("realistic", seed) });
  const rest = await listenRest(database);
  const store = openStore(path.join(root, "lake"));
  const run = async (definition: PipelineDefinition) => {
    const started = await startRun(database, definition, { trigger: "cli" });
    const ended = started.deduped ? null : await started.finished;
    if (ended?.status !== "success") throw new Error(`${definition.name} run failed: ${ended?.error}`);
  };
  const ingestNow = () => run(ingestionPipeline({ ...DEFAULT_INGESTION, sourceUrl: simulator.url, store }));
  try {
    say("Ingesting the simulator and training every family…");
    await ingestNow();
    await run(trainPipeline({ ...DEFAULT_TRAIN, store, seed }));
    const champion = await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" }, include: { version: true } });
    const popularity = await database.db.modelVersion.findFirstOrThrow({ where: { family: "popularity" }, orderBy: { id: "desc" } });
    const control = values.aa ? champion.version : popularity;
    const key = values.aa ? "demo-aa" : "demo-model-vs-popularity";
    const actor = { email: "demo" };
    await createExperiment(
      database.db,
      {
        key,
        name: values.aa ? `A/A: ${champion.version.family} against itself` : `${champion.version.family} against popularity`,
        hypothesis: values.aa
          ? "Both variants are the same version: no difference should be found."
          : "Listeners play more of what the model recommends than of what is popular.",
        variants: [
          { key: "control", versionId: control.id, weight: 1 },
          { key: "treatment", versionId: champion.versionId, weight: 1 },
        ],
        coverage: 1,
        primaryMetric: "plays_per_impression",
        secondaryMetrics: ["hit_rate", "listens_per_day", "new_tracks", "likes_per_impression"],
        guardrailMetrics: ["skips_per_impression"],
        correction: "holm",
        sequential: true,
        alpha: 0.05,
      },
      actor,
    );
    await startExperiment(database.db, key, actor);
    await engineFor(database).refresh();
    const { key: apiKey } = await createApiKey(database.db, { name: "demo app", scopes: ["recommendations:read", "events:write"] }, actor);
    simulator.setRecommender({ url: rest.url, apiKey });
    say(`Experiment ${key}: control v${control.id} (${control.family}), treatment v${champion.versionId} (${champion.version.family}); ${days} days.`);

    let results: ResultsDocument | undefined;
    for (let day = 1; day <= days; day++) {
      // A day is a round in real time: listeners ask and play, dated up to the real now.
      await simulator.playRound();
      await engineFor(database).exposures.flush();
      await ingestNow();
      await refreshDiscoveries(database.pool);
      results = await analyzeExperiment(database, (await getExperiment(database.db, key))!, { deadlineUtc: "23:59" });
      const treatment = results.variants[1]!;
      const primary = treatment.metrics[results.primaryMetric]!;
      const uplift = primary.uplift
        ? `${(primary.uplift.relative * 100).toFixed(1)}% [${(primary.uplift.ci[0] * 100).toFixed(1)}%, ${(primary.uplift.ci[1] * 100).toFixed(1)}%]`
        : "—";
      say(
        `day ${String(day).padStart(2)}: users ${results.variants.map((v) => v.users).join(" / ")}; ${results.primaryMetric} uplift ${uplift}, p ${primary.adjustedPValue?.toFixed(4) ?? "—"}${primary.significant ? " (significant)" : ""}; SRM p ${results.srm.pValue.toFixed(3)}`,
      );
    }
    if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else {
      say("");
      for (const v of results!.variants) {
        say(`${v.key} (version ${v.modelVersion}, ${v.users} users):`);
        for (const [metric, r] of Object.entries(v.metrics)) {
          const uplift = r.uplift
            ? ` uplift ${(r.uplift.relative * 100).toFixed(1)}% [${(r.uplift.ci[0] * 100).toFixed(1)}%, ${(r.uplift.ci[1] * 100).toFixed(1)}%], p ${r.adjustedPValue?.toFixed(4)}, chance to beat control ${((r.chanceToBeatControl ?? 0) * 100).toFixed(1)}%${r.significant ? ", significant" : ""}`
            : "";
          say(`  ${metric}: ${r.mean.toFixed(4)}${uplift}`);
        }
      }
    }
  } finally {
    await engineFor(database).stop();
    await rest.close();
    await simulator.close();
    await database.close();
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
