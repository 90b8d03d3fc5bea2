import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../serving/api-keys";
import { engineFor } from "../serving/service";
import type { Simulator } from "../simulator/server";
import type { TestDatabase } from "../testing/database";
import { trainedEncore, type TrainedEncore } from "../testing/trained";
import { ingest, type tempLake, testConfig } from "../testing/ingestion";
import type { RestServer } from "../serving/node-http";
import { analyzeExperiment } from "./analysis";
import { refreshDiscoveries } from "./discoveries";
import { createExperiment, getExperiment, startExperiment } from "./experiments";

process.env.SERVING_REFRESH_MS = "200";

let database: TestDatabase;
let simulator: Simulator;
let lake: Awaited<ReturnType<typeof tempLake>>;
let server: RestServer;
let encore: TrainedEncore | undefined;

beforeAll(async () => {
  encore = await trainedEncore(3, { tracks: 600, users: 400, histories: 3000, itemsPerHistory: 8 });
  ({ database, simulator, lake, server } = encore);
}, 180_000);

afterAll(() => encore?.close());

describe("the simulator's listeners answer the recommendations", () => {
  it("plays more of what a better model recommends than of what is merely popular", async () => {
    const champion = (await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId;
    const popularity = (await database.db.modelVersion.findFirstOrThrow({ where: { family: "popularity" } })).id;
    const actor = { email: "test" };
    await createExperiment(
      database.db,
      {
        key: "loop",
        name: "loop",
        hypothesis: "listeners play more of the model's recommendations",
        variants: [
          { key: "popular", versionId: popularity, weight: 1 },
          { key: "model", versionId: champion, weight: 1 },
        ],
        coverage: 1,
        primaryMetric: "plays_per_impression",
        secondaryMetrics: ["hit_rate", "listens_per_day"],
        guardrailMetrics: [],
        correction: "holm",
        sequential: true,
        alpha: 0.05,
      },
      actor,
    );
    await startExperiment(database.db, "loop", actor);
    await engineFor(database).refresh();
    const { key } = await createApiKey(database.db, { name: "simulated app", scopes: ["recommendations:read", "events:write"] }, actor);
    simulator.setRecommender({ url: server.url, apiKey: key, dailyShare: 0.5 });
    const before = simulator.catalogue.records.listen_history.length;
    // Three rounds in real time: listeners ask, play, and the simulator dates it all up to the real now.
    for (let round = 0; round < 3; round++) await simulator.playRound();
    expect(simulator.catalogue.now.getTime()).toBeLessThanOrEqual(Date.now());
    // The plays are listening of those rounds, next to what listeners chose themselves.
    expect(simulator.catalogue.records.listen_history.length).toBeGreaterThan(before);
    await engineFor(database).exposures.flush();
    expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");

    const { rows } = await database.pool.query<{ variant: string; plays: number; impressions: number }>(
      `SELECT x.variant, count(*) FILTER (WHERE f.type = 'play')::int AS plays, count(*) FILTER (WHERE f.type = 'impression')::int AS impressions
         FROM experiment_exposures x JOIN feedback_events f ON f.user_id = x.user_id GROUP BY x.variant`,
    );
    const rate = (variant: string) => rows.find((r) => r.variant === variant)!.plays / rows.find((r) => r.variant === variant)!.impressions;
    expect(rate("model")).toBeGreaterThan(rate("popular") * 1.2);

    await refreshDiscoveries(database.pool);
    const results = await analyzeExperiment(database, (await getExperiment(database.db, "loop"))!, { deadlineUtc: "06:00" });
    const model = results.variants.find((v) => v.key === "model")!;
    expect(model.users).toBeGreaterThan(50);
    expect(model.metrics.plays_per_impression!.uplift!.relative).toBeGreaterThan(0.2);
    expect(model.metrics.plays_per_impression!.significant).toBe(true);
    expect(model.metrics.hit_rate!.uplift!.relative).toBeGreaterThan(0);
    expect(results.srm.flagged).toBe(false);
  }, 120_000);
});
