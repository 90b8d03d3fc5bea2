import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { experimentResults } from "./queries";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("stored experiment results", () => {
  it("are read with the results schema: a row of another shape is a clear error, not a document missing its fields", async () => {
    const experiment = await database.db.experiment.create({
      data: {
        key: "old",
        name: "old",
        hypothesis: "h",
        seed: "old",
        primaryMetric: "hit_rate",
        secondaryMetrics: [],
        guardrailMetrics: [],
        createdBy: "t",
        status: "running",
      },
    });
    await database.db.experimentResult.create({
      data: { experimentId: experiment.id, day: new Date("2026-01-01T00:00:00Z"), results: { key: "old", variants: [] } },
    });
    await expect(experimentResults(database, "old")).rejects.toThrow(/experiment_results\.results holds a value of another shape/);
  });
});
