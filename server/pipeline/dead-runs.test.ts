import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { evaluateAlerts } from "./alerts";
import { tryLockPipeline } from "./lock";
import { retryFailedTasks, startRun, sweepDeadRuns } from "./runner";
import { startRunSweeper } from "./sweeper";
import { RunInProgressError, type PipelineDefinition, type TaskContext } from "./types";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const untilAborted = (ctx: TaskContext) =>
  new Promise<void>((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error), { once: true }));

/** A dead process's run: running, its last heartbeat `agoMs` before now, one task going and one never started. */
function ghostRun(pipeline: string, agoMs: number) {
  const beat = new Date(Date.now() - agoMs);
  return database.db.pipelineRun.create({
    data: {
      pipeline,
      trigger: "cron",
      status: "running",
      startedAt: new Date(beat.getTime() - 5000),
      heartbeatAt: beat,
      host: "worker-7",
      pid: 4242,
      tasks: {
        create: [
          { task: "extract", tryNumber: 1, status: "running" },
          { task: "load", tryNumber: 1, status: "queued" },
        ],
      },
    },
  });
}

describe("a lost database connection", () => {
  it("fails the run with its cause, recorded once the database is back, and the process goes on", async () => {
    const definition: PipelineDefinition = { name: "p-lost-lock", tasks: [{ name: "extract", run: untilAborted }] };
    const started = await startRun(database, definition, { trigger: "cli" });
    if (started.deduped) throw new Error("unexpected");
    await expect.poll(() => database.db.taskRun.findFirst({ where: { runId: started.run.id } }).then((t) => t?.status)).toBe("running");
    // A restart or failover as PostgreSQL does it: every backend ends, and nobody connects for a while.
    await database.setOutage(true);
    setTimeout(() => void database.setOutage(false), 1500);
    const ended = await started.finished;
    expect(ended.status).toBe("failed");
    expect(ended.error).toMatch(/extract: lost the database connection holding the p-lost-lock lock: terminating connection/);
    const tries = await database.db.taskRun.findMany({ where: { runId: ended.id } });
    expect(tries.map((t) => t.status)).toEqual(["failed"]);
    // The lock went with its connection: the next run starts.
    const next = await startRun(database, { name: "p-lost-lock", tasks: [{ name: "extract", run: async () => {} }] }, { trigger: "cli" });
    expect(next.deduped ? null : (await next.finished).status).toBe("success");
  });
});

describe("dead runs", () => {
  it("a run whose process died is recorded failed at its last sign of life, its unstarted tasks skipped, and alerted", async () => {
    const ghost = await ghostRun("p-dead", 120_000);
    const alerted: string[] = [];
    const sweeper = startRunSweeper(
      database,
      async (pipeline) => {
        alerted.push(pipeline);
        await evaluateAlerts(database, pipeline, { deadlineUtc: "23:59" }, new Date());
      },
      { everyMs: 100, staleMs: 30_000 },
    );
    try {
      await expect
        .poll(() => database.db.alert.findFirst({ where: { incidentKey: "run_failed:p-dead", resolvedAt: null } }), { timeout: 5000 })
        .toMatchObject({ runId: ghost.id });
    } finally {
      sweeper.stop();
    }
    const after = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: ghost.id }, include: { tasks: { orderBy: { id: "asc" } } } });
    expect(after.status).toBe("failed");
    expect(after.error).toBe(`abandoned: process 4242 on worker-7 stopped; last sign of life at ${ghost.heartbeatAt!.toISOString()}`);
    expect(after.finishedAt).toEqual(ghost.heartbeatAt);
    expect(after.tasks.map((t) => [t.task, t.status])).toEqual([
      ["extract", "failed"],
      ["load", "skipped"],
    ]);
    expect(alerted).toEqual(["p-dead"]);
  });

  it("a run with a late heartbeat whose process still holds the lock is left alone", async () => {
    const ghost = await ghostRun("p-slow", 120_000);
    const lock = await tryLockPipeline(database.pool, "p-slow");
    try {
      expect((await sweepDeadRuns(database)).has("p-slow")).toBe(false);
    } finally {
      await lock!.release();
    }
    expect((await database.db.pipelineRun.findUniqueOrThrow({ where: { id: ghost.id } })).status).toBe("running");
    expect((await sweepDeadRuns(database)).get("p-slow")).toEqual([ghost.id]);
  });

  it("a run refused while another goes names the live run, not a dead one", async () => {
    const failing: PipelineDefinition = {
      name: "p-live",
      tasks: [
        {
          name: "extract",
          run: async () => {
            throw new Error("down");
          },
        },
      ],
    };
    const first = await startRun(database, failing, { trigger: "cli" });
    if (first.deduped) throw new Error("unexpected");
    const failed = await first.finished;
    const ghost = await ghostRun("p-live", 120_000);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const retried = await retryFailedTasks(database, { name: "p-live", tasks: [{ name: "extract", run: () => gate }] }, failed.id);
    const refused = await startRun(database, failing, { trigger: "cli" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RunInProgressError);
    expect((refused as RunInProgressError).runId).toBe(failed.id);
    expect((await database.db.pipelineRun.findUniqueOrThrow({ where: { id: ghost.id } })).status).toBe("failed");
    release();
    expect((await retried.finished).status).toBe("success");
  });
});

describe("task retries", () => {
  it("a failing task is tried again as new tries of the same run, and the run succeeds", async () => {
    let calls = 0;
    const definition: PipelineDefinition = {
      name: "p-task-retries",
      tasks: [
        {
          name: "extract",
          retries: 2,
          retryDelayMs: 10,
          run: async () => {
            if (++calls < 3) throw new Error(`source down (${calls})`);
          },
        },
        { name: "load", needs: ["extract"], run: async () => {} },
      ],
    };
    const started = await startRun(database, definition, { trigger: "cron" });
    if (started.deduped) throw new Error("unexpected");
    expect(await started.finished).toMatchObject({ status: "success", error: null });
    const tries = await database.db.taskRun.findMany({ where: { runId: started.run.id }, orderBy: { id: "asc" } });
    expect(tries.map((t) => [t.task, t.tryNumber, t.status, t.error])).toEqual([
      ["extract", 1, "failed", "source down (1)"],
      ["load", 1, "success", null],
      ["extract", 2, "failed", "source down (2)"],
      ["extract", 3, "success", null],
    ]);
  });

  it("retries run out: the run fails with the last try's error", async () => {
    const definition: PipelineDefinition = {
      name: "p-task-retries-out",
      tasks: [
        {
          name: "extract",
          retries: 1,
          run: async () => {
            throw new Error("still down");
          },
        },
      ],
    };
    const started = await startRun(database, definition, { trigger: "cron" });
    if (started.deduped) throw new Error("unexpected");
    expect(await started.finished).toMatchObject({ status: "failed", error: "extract: still down" });
    expect(await database.db.taskRun.count({ where: { runId: started.run.id, task: "extract" } })).toBe(2);
  });
});
