import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { deathsOf } from "./worker";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("deaths of a run's processes", () => {
  it("counts each death once, however many tries it failed, and not runs stopped on purpose", async () => {
    const death = (pid: number) => `abandoned: process ${pid} on worker-1 stopped; last sign of life at 2026-12-02T08:00:0${pid}.000Z`;
    const run = await database.db.pipelineRun.create({
      data: {
        pipeline: "train",
        trigger: "cli",
        status: "failed",
        tasks: {
          create: [
            // One death that failed two tasks going at once (two families), then a second death.
            { task: "als", tryNumber: 1, status: "failed", error: death(1) },
            { task: "ease", tryNumber: 1, status: "failed", error: death(1) },
            { task: "als", tryNumber: 2, status: "failed", error: death(2) },
            { task: "ease", tryNumber: 2, status: "failed", error: "stopped: the worker on worker-2 (pid 7) received SIGTERM" },
            { task: "ease", tryNumber: 3, status: "failed", error: "ALS diverged" },
          ],
        },
      },
    });
    expect(await deathsOf(database.db, run.id)).toBe(2);
  });
});
