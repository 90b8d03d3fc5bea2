import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun, waitForRun } from "../pipeline/runner";
import type { PipelineDefinition } from "../pipeline/types";
import type { RestServer } from "../serving/node-http";
import { engineFor } from "../serving/service";
import { wireToEncore } from "../simulator/built-in";
import type { Simulator } from "../simulator/server";
import type { TestDatabase } from "../testing/database";
import { trainedEncore, type TrainedEncore } from "../testing/trained";
import { type tempLake, testConfig } from "../testing/ingestion";
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
  it("runs the champion against popularity round by round in real time, then leaves the console as it found it", async () => {
    const championBefore = await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } });
    const ended = await run(
      demoPipeline({ ingestion: testConfig(simulator.url, lake.dir), analysis: { deadlineUtc: "23:59", feedbackKeepDays: 400 }, days: 2 }),
    );
    expect(ended.error).toBeNull();
    expect(ended.status).toBe("success");
    const experiment = await database.db.experiment.findUniqueOrThrow({ where: { key: `demo-${ended.id}` }, include: { variants: true, results: true } });
    expect(experiment.variants.map((v) => v.key).sort()).toEqual(["control", "treatment"]);
    expect(await database.db.experimentExposure.count({ where: { experimentId: experiment.id } })).toBeGreaterThan(20);
    expect(experiment.results.length).toBeGreaterThanOrEqual(1);
    expect(await database.db.pipelineRun.count({ where: { pipeline: "ingest", status: "success" } })).toBe(1 + 2);
    // Decided without shipping: the champion and its alias are as they were.
    expect(experiment).toMatchObject({ status: "decided", shippedVariant: null, decidedBy: "demo" });
    expect(experiment.decisionNote).toMatch(/^Demo over after 2 days: treatment plays_per_impression [+-]\d+\.\d%.*Nothing shipped/);
    expect(await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).toEqual(championBefore);
    // Nothing dated after the real now, and notes that are true: today was ingested.
    const { rows } = await database.pool.query<{ listens: Date; tracks: Date; users: Date }>(
      "SELECT (SELECT max(created_at) FROM listen_history) AS listens, (SELECT max(updated_at) FROM tracks) AS tracks, (SELECT max(updated_at) FROM users) AS users",
    );
    for (const newest of Object.values(rows[0]!)) expect(newest.getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(simulator.stats().now).getTime()).toBeLessThanOrEqual(Date.now());
    const latest = experiment.results.at(-1)!.results as { dataQuality: string[] };
    expect(latest.dataQuality.filter((n) => /no successful ingestion/.test(n))).toEqual([]);
    // The quarantine holds nothing from the future.
    expect(await database.pool.query("SELECT 1 FROM quarantine WHERE reason LIKE '%after the read began%'").then((r) => r.rowCount)).toBe(0);
  }, 120_000);

  it("is skipped with the reason when the source is not a simulator", async () => {
    const ended = await run(
      demoPipeline({ ingestion: testConfig("http://127.0.0.1:9", lake.dir), analysis: { deadlineUtc: "23:59", feedbackKeepDays: 400 }, days: 1 }),
    );
    expect(ended.status).toBe("skipped");
    expect(ended.error).toMatch(/built-in simulator/);
  });
});
