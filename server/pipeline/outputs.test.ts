import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { MissingOutputError, readOutput, taskOutput, writeOutput } from "./outputs";
import { startRun } from "./runner";
import type { PipelineDefinition } from "./types";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const snapshot = taskOutput("snapshot", z.object({ snapshotId: z.number().int().positive() }));

async function run(definition: PipelineDefinition) {
  const started = await startRun(database, definition, { trigger: "cli" });
  if (started.deduped) throw new Error("unexpected");
  return started.finished;
}

describe("task outputs", () => {
  it("a task's declared output reaches the tasks after it typed, beside its other details", async () => {
    let read: number | undefined;
    const ended = await run({
      name: "p-outputs",
      tasks: [
        {
          name: "snapshot",
          run: async (ctx) => {
            ctx.detail({ note: "kept too" });
            writeOutput(ctx, snapshot, { snapshotId: 7 });
          },
        },
        { name: "train", needs: ["snapshot"], run: async (ctx) => void (read = (await readOutput(ctx.database.db, ctx.run.id, snapshot)).snapshotId) },
      ],
    });
    expect(ended.status).toBe("success");
    expect(read).toBe(7);
    const row = await database.db.taskRun.findFirstOrThrow({ where: { runId: ended.id, task: "snapshot" } });
    expect(row.details).toEqual({ note: "kept too", snapshotId: 7 });
  });

  it("an output that does not match its declaration is refused when written, and a missing one is a clear error when read", async () => {
    const ended = await run({
      name: "p-outputs-bad",
      tasks: [
        { name: "snapshot", run: async (ctx) => writeOutput(ctx, snapshot, { snapshotId: -1 }) },
        { name: "other", run: async (ctx) => void (await readOutput(ctx.database.db, ctx.run.id, snapshot)) },
      ],
    });
    expect(ended.status).toBe("failed");
    expect(ended.error).toMatch(/snapshot: .*Too small/s);
    expect(ended.error).toMatch(/other: the snapshot task of run \d+ left no usable output: it has not succeeded/);
    await database.db.taskRun.create({ data: { runId: ended.id, task: "snapshot", tryNumber: 9, status: "success", details: { snapshotId: "seven" } } });
    await expect(readOutput(database.db, ended.id, snapshot)).rejects.toThrow(MissingOutputError);
  });
});
