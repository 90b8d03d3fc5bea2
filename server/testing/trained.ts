import { expect } from "vitest";
import { startRun, waitForRun } from "../pipeline/runner";
import { DEFAULT_TRAIN, trainPipeline } from "../recommender/pipeline";
import { listenRest, type RestServer } from "../serving/node-http";
import { engineFor } from "../serving/service";
import type { CatalogueOptions } from "../simulator/catalogue";
import type { Simulator } from "../simulator/server";
import { createTestDatabase, type TestDatabase } from "./database";
import { ingest, startTestSimulator, tempLake, testConfig } from "./ingestion";
import { openStore } from "../storage/open";

export interface TrainedEncore {
  database: TestDatabase;
  simulator: Simulator;
  lake: Awaited<ReturnType<typeof tempLake>>;
  server: RestServer;
  close(): Promise<void>;
}

/** What serving and experiment tests start from: the realistic simulator ingested, every family trained, the REST API listening. */
export async function trainedEncore(seed: number, sizes: Partial<CatalogueOptions>): Promise<TrainedEncore> {
  const lake = await tempLake();
  const database = await createTestDatabase();
  const simulator = await startTestSimulator("realistic", seed, {}, sizes);
  expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");
  const started = await startRun(database, trainPipeline({ ...DEFAULT_TRAIN, store: openStore(lake.dir), scoreRecentDays: 0 }), { trigger: "cli" });
  expect((started.deduped ? await waitForRun(database, started.run.id) : await started.finished).status).toBe("success");
  const server = await listenRest(database);
  return {
    database,
    simulator,
    lake,
    server,
    async close() {
      await engineFor(database).stop();
      await server.close();
      await simulator.close();
      await database.drop();
      await lake.remove();
    },
  };
}
