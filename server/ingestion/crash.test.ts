import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Simulator } from "../simulator/server";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { expectedCounts, ingest, startTestSimulator, tableCounts, tempLake, testConfig } from "../testing/ingestion";

/** Tracks span several batches of this size. */
const BATCH = 5000;

let database: TestDatabase;
let simulator: Simulator;
let lake: Awaited<ReturnType<typeof tempLake>>;

beforeAll(async () => {
  database = await createTestDatabase();
  lake = await tempLake();
  // Slow pages, so the job is surely in the middle of loading when it is killed; tracks span several batches.
  simulator = await startTestSimulator("realistic", 5, { latencyMs: 40 }, { tracks: 12_000, users: 1500, histories: 6000, itemsPerHistory: 8 });
});
afterAll(async () => {
  await simulator.close();
  await database.drop();
  await lake.remove();
});

it("a job process killed in the middle of a load leaves the database consistent; the next run completes the data", async () => {
  const job = spawn(process.execPath, ["--import", "tsx", "cron/cli.ts", "ingest"], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      MOOVITAMIX_URL: simulator.url,
      DATA_LAKE_DIR: lake.dir,
      INGEST_CONCURRENCY: "2",
      INGEST_BATCH_SIZE: String(BATCH),
    },
    stdio: "ignore",
  });
  const exited = new Promise<string | null>((resolve) => job.once("exit", (_code, signal) => resolve(signal)));
  // Kill it once some rows are in but before tracks are complete.
  const expected = expectedCounts(simulator.catalogue);
  let loaded = 0;
  while (loaded === 0) {
    await new Promise((r) => setTimeout(r, 25));
    loaded = (await tableCounts(database)).tracks;
  }
  job.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  const killed = await database.db.pipelineRun.findFirstOrThrow({ orderBy: { id: "desc" } });
  expect(killed.status).toBe("running");
  // Batches commit whole: what is in is whole batches, never part of one.
  const atKill = (await tableCounts(database)).tracks;
  expect(atKill).toBeLessThan(expected.tracks);
  expect(atKill % BATCH).toBe(0);

  simulator.setFaults({ latencyMs: 0 });
  const next = await ingest(database, testConfig(simulator.url, lake.dir));
  expect(next.status).toBe("success");
  expect(await tableCounts(database)).toEqual(expected);
  const abandoned = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: killed.id } });
  expect(abandoned).toMatchObject({ status: "failed" });
  expect(abandoned.error).toMatch(/abandoned/);
});
