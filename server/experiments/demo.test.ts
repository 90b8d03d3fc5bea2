import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun, waitForRun } from "../pipeline/runner";
import type { PipelineDefinition } from "../pipeline/types";
import { DEFAULT_TRAIN, trainPipeline } from "../recommender/pipeline";
import { listenRest, type RestServer } from "../serving/node-http";
import { engineFor } from "../serving/service";
import { wireToEncore } from "../simulator/built-in";
import type { Simulator } from "../simulator/server";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, startTestSimulator, tempLake, testConfig } from "../testing/ingestion";
import { demoPipeline } from "./demo";

process.env.SERVING_REFRESH_MS = "200";

let database: TestDatabase;
let simulator: Simulator;
let lake: Awaited<ReturnType<typeof tempLake>>;
let server: RestServer;

const run = async (definition: PipelineDefinition) => {
  const started = await startRun(database, definition, { trigger: "console" });
  return started.deduped ? waitForRun(database, started.run.id) : started.finished;
};

beforeAll(async () => {
  lake = await tempLake();
  database = await createTestDatabase();
  simulator = await startTestSimulator("realistic", 21, {}, { tracks: 400, users: 250, histories: 2000, itemsPerHistory: 8 });
  expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");
  expect((await run(trainPipeline({ ...DEFAULT_TRAIN, lakeDir: lake.dir }))).status).toBe("success");
  server = await listenRest(database);
  await engineFor(database).current();
  // As npm start wires its built-in simulator: the listeners ask this Encore.
  await wireToEncore(simulator, database.db, server.url);
}, 180_000);

afterAll(async () => {
  await engineFor(database).stop();
  await server?.close();
  await simulator?.close();
  await database?.drop();
  await lake?.remove();
});

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
