import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun, waitForRun } from "../pipeline/runner";
import type { PipelineDefinition } from "../pipeline/types";
import type { RestServer } from "../serving/node-http";
import { engineFor } from "../serving/service";
import { wireToEncore } from "../simulator/built-in";
import type { Simulator } from "../simulator/server";
import type { TestDatabase } from "../testing/database";
import { trainedEncore, type TrainedEncore } from "../testing/trained";
import { ingest, tempLake, testConfig } from "../testing/ingestion";
import { demoPipeline } from "./demo";

process.env.SERVING_REFRESH_MS = "200";

let database: TestDatabase;
let simulator: Simulator;
let lake: Awaited<ReturnType<typeof tempLake>>;
let server: RestServer;
let encore: TrainedEncore | undefined;

const run = async (definition: PipelineDefinition) => {
  const started = await startRun(database, definition, { trigger: "console" });
  return started.deduped ? waitForRun(database, started.run.id) : started.finished;
};

beforeAll(async () => {
  encore = await trainedEncore(21, { tracks: 400, users: 250, histories: 2000, itemsPerHistory: 8 });
  ({ database, simulator, lake, server } = encore);
  await engineFor(database).current();
  // As npm start wires its built-in simulator: the listeners ask this Encore.
  await wireToEncore(simulator, database.db, server.url);
}, 180_000);

afterAll(() => encore?.close());

describe("the demo experiment (the console's button)", () => {
  it("runs the champion against popularity day by day on the simulator: exposures, ingestions, daily results", async () => {
    const ended = await run(demoPipeline({ ingestion: testConfig(simulator.url, lake.dir), deadlineUtc: "23:59", days: 2 }));
    expect(ended.error).toBeNull();
    expect(ended.status).toBe("success");
    const experiment = await database.db.experiment.findUniqueOrThrow({ where: { key: `demo-${ended.id}` }, include: { variants: true, results: true } });
    expect(experiment.status).toBe("running");
    expect(experiment.variants.map((v) => v.key).sort()).toEqual(["control", "treatment"]);
    expect(await database.db.experimentExposure.count({ where: { experimentId: experiment.id } })).toBeGreaterThan(20);
    expect(experiment.results.length).toBeGreaterThanOrEqual(1);
    // The warm-up day is not ingested on its own: the first day's ingestion brings it.
    expect(await database.db.pipelineRun.count({ where: { pipeline: "ingest" } })).toBe(1 + 2);
  }, 120_000);

  it("is skipped with the reason when the source is not a simulator", async () => {
    const ended = await run(demoPipeline({ ingestion: testConfig("http://127.0.0.1:9", lake.dir), deadlineUtc: "23:59", days: 1 }));
    expect(ended.status).toBe("skipped");
    expect(ended.error).toMatch(/built-in simulator/);
  });
});
