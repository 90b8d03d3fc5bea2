import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { requestCancel, retryFailedTasks, startRun, waitForRun, type StartedRun } from "./runner";
import { RunInProgressError, type PipelineDefinition, type RunResource } from "./types";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const ended = (started: StartedRun) => (started.deduped ? waitForRun(database, started.run.id, 50) : started.finished);

/** A pipeline whose first task waits until released, so a run stays in progress as long as a test needs. */
function gatedPipeline(name: string) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const definition: PipelineDefinition = {
    name,
    tasks: [
      { name: "wait", run: () => gate },
      {
        name: "fail",
        needs: ["wait"],
        run: async () => {
          throw new Error("boom");
        },
      },
      { name: "after", needs: ["fail"], run: async () => {} },
    ],
  };
  return { definition, release: () => open() };
}

describe("starting runs", () => {
  it("two triggers at once make one run; the other is told which run is going", async () => {
    const { definition, release } = gatedPipeline("p-concurrent");
    const outcomes = await Promise.allSettled([startRun(database, definition, { trigger: "console" }), startRun(database, definition, { trigger: "cron" })]);
    const started = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const runId = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startRun>>>).value.run.id;
    const reason = (refused[0] as PromiseRejectedResult).reason as RunInProgressError;
    expect(reason).toBeInstanceOf(RunInProgressError);
    expect(reason.runId).toBe(runId);
    release();
    await ended((started[0] as PromiseFulfilledResult<StartedRun>).value);
    expect(await database.db.pipelineRun.count({ where: { pipeline: "p-concurrent" } })).toBe(1);
  });

  it("the same idempotency key gives back the same run, even delivered twice at once", async () => {
    const { definition, release } = gatedPipeline("p-idempotent");
    const [a, b] = await Promise.all([
      startRun(database, definition, { trigger: "cron", idempotencyKey: "slot-1" }).catch((e: unknown) => e),
      startRun(database, definition, { trigger: "cron", idempotencyKey: "slot-1" }).catch((e: unknown) => e),
    ]);
    release();
    const runs = await database.db.pipelineRun.findMany({ where: { pipeline: "p-idempotent" } });
    expect(runs).toHaveLength(1);
    // One started it; the other got it back, or (racing the lock) was told it is in progress.
    for (const outcome of [a, b]) {
      if (outcome instanceof RunInProgressError) expect(outcome.runId).toBe(runs[0]!.id);
      else expect((outcome as { run: { id: number } }).run.id).toBe(runs[0]!.id);
    }
    await ended(await startRun(database, definition, { trigger: "cron", idempotencyKey: "slot-1" }));
    const later = await startRun(database, definition, { trigger: "cron", idempotencyKey: "slot-1" });
    expect(later).toMatchObject({ deduped: true, run: { id: runs[0]!.id } });
  });

  it("records each task try; a failed task fails the run and skips what needs it", async () => {
    const { definition, release } = gatedPipeline("p-failing");
    release();
    const run = await ended(await startRun(database, definition, { trigger: "cli" }));
    expect(run.status).toBe("failed");
    expect(run.error).toBe("fail: boom");
    const tasks = await database.db.taskRun.findMany({ where: { runId: run.id }, orderBy: { id: "asc" } });
    expect(tasks.map((t) => [t.task, t.tryNumber, t.status])).toEqual([
      ["wait", 1, "success"],
      ["fail", 1, "failed"],
      ["after", 1, "skipped"],
    ]);
    expect(tasks[1]!.logs.some((l) => l.includes("failed after") && l.includes("boom"))).toBe(true);
  });

  it("a run left running by a dead process is marked failed by the next one", async () => {
    const { definition, release } = gatedPipeline("p-abandoned");
    release();
    const ghost = await database.db.pipelineRun.create({
      data: {
        pipeline: "p-abandoned",
        trigger: "cli",
        status: "running",
        startedAt: new Date(),
        tasks: { create: [{ task: "wait", tryNumber: 1, status: "running" }] },
      },
    });
    await ended(await startRun(database, definition, { trigger: "cli" }));
    const after = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: ghost.id }, include: { tasks: true } });
    expect(after.status).toBe("failed");
    expect(after.error).toMatch(/abandoned/);
    expect(after.tasks[0]!.status).toBe("failed");
  });
});

describe("operator actions", () => {
  it("retrying runs the failed task and what it blocked as new tries, keeping the first tries", async () => {
    let broken = true;
    const definition: PipelineDefinition = {
      name: "p-retry",
      tasks: [
        { name: "load", run: async () => {} },
        {
          name: "check",
          needs: ["load"],
          run: async () => {
            if (broken) throw new Error("source was down");
          },
        },
        { name: "publish", needs: ["check"], run: async () => {} },
      ],
    };
    const first = await ended(await startRun(database, definition, { trigger: "cron" }));
    expect(first.status).toBe("failed");
    broken = false;
    const again = await (await retryFailedTasks(database, definition, first.id)).finished;
    expect(again).toMatchObject({ id: first.id, status: "success", error: null });
    const tries = await database.db.taskRun.findMany({ where: { runId: first.id }, orderBy: { id: "asc" } });
    expect(tries.map((t) => [t.task, t.tryNumber, t.status])).toEqual([
      ["load", 1, "success"],
      ["check", 1, "failed"],
      ["publish", 1, "skipped"],
      ["check", 2, "success"],
      ["publish", 2, "success"],
    ]);
    await expect(retryFailedTasks(database, definition, first.id)).rejects.toThrow(/no failed or skipped task/);
  });

  it("a cancelled run stops at the task's next check and ends failed, saying who cancelled it", async () => {
    const definition: PipelineDefinition = {
      name: "p-cancel",
      tasks: [
        {
          name: "pages",
          run: async (ctx) => {
            for (;;) {
              ctx.signal.throwIfAborted();
              await new Promise((r) => setTimeout(r, 20));
            }
          },
        },
      ],
    };
    const started = await startRun(database, definition, { trigger: "console" });
    expect(await requestCancel(database, started.run.id, "ops@example.test")).toBe(true);
    const cancelled = await ended(started);
    expect(cancelled.status).toBe("failed");
    expect(cancelled.error).toBe("pages: cancelled by ops@example.test");
    expect(await requestCancel(database, started.run.id, "ops@example.test")).toBe(false);
  });
});

describe("run resources", () => {
  it("are made once per run by the first task that asks, shared by the others, and disposed when the run ends", async () => {
    const made: number[] = [];
    const disposed: number[] = [];
    const splits: RunResource<{ runId: number }> = {
      name: "splits",
      create: async (ctx) => {
        made.push(ctx.run.id);
        return { runId: ctx.run.id };
      },
      dispose: (value) => void disposed.push(value.runId),
    };
    const seen: unknown[] = [];
    const definition: PipelineDefinition = {
      name: "p-resources",
      tasks: [
        { name: "a", run: async (ctx) => void seen.push(await ctx.resource(splits)) },
        { name: "b", run: async (ctx) => void seen.push(await ctx.resource(splits)) },
        {
          name: "c",
          needs: ["a", "b"],
          run: async (ctx) => {
            seen.push(await ctx.resource(splits));
            expect(disposed).not.toContain(ctx.run.id);
          },
        },
      ],
    };
    const first = await ended(await startRun(database, definition, { trigger: "cli" }));
    const second = await ended(await startRun(database, definition, { trigger: "cli" }));
    expect([first.status, second.status]).toEqual(["success", "success"]);
    expect(made).toEqual([first.id, second.id]);
    expect(disposed).toEqual([first.id, second.id]);
    expect(new Set(seen.slice(0, 3)).size).toBe(1);
  });
});
