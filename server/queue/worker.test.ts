import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../config/env";
import { retryJob, triggerJob } from "../jobs/trigger";
import { NothingToRetryError, waitForRun } from "../pipeline/runner";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { SLOW_JOB } from "../testing/queue-worker";
import { sharedRunQueue } from "./run-queue";

const fixture = fileURLToPath(new URL("../testing/queue-worker.ts", import.meta.url));
const DEAD_AFTER_SECONDS = 3;

let database: TestDatabase;
const workers: ChildProcess[] = [];

/** A worker process over the slow test job, ready once it says it takes runs. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, DATABASE_URL: database.url, RUN_DEAD_AFTER_SECONDS: String(DEAD_AFTER_SECONDS) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  workers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("taking runs from the queue") && resolve());
    child.once("exit", (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

/** Triggers the slow job through the queue and waits until a worker is in its long task; returns the run and that worker. */
async function runUntilWorking() {
  const outcome = await triggerJob(SLOW_JOB, { database, env: queuedEnv() }, { trigger: "cli", triggeredBy: "test" });
  if (outcome.kind !== "started") throw new Error("the run did not start");
  for (;;) {
    const working = await database.db.taskRun.findFirst({ where: { runId: outcome.run.id, task: "work", status: "running" } });
    const run = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: outcome.run.id } });
    const worker = workers.find((w) => w.pid === run.pid && w.exitCode === null);
    if (working && worker) return { runId: run.id, worker };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The run once it succeeded: swept, it is failed for a moment before a worker takes it again. */
async function succeeded(runId: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await waitForRun(database, runId, 100);
    if (run.status === "success" || Date.now() > deadline) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const queuedEnv = () => parseEnv({ DATABASE_URL: database.url, JOB_QUEUE: "on", RUN_DEAD_AFTER_SECONDS: String(DEAD_AFTER_SECONDS) });

const tries = (runId: number) => database.db.taskRun.findMany({ where: { runId, task: "work" }, orderBy: { tryNumber: "asc" } });

beforeAll(async () => {
  database = await createTestDatabase();
  await Promise.all([startWorkerProcess(), startWorkerProcess()]);
});
afterAll(async () => {
  workers.forEach((w) => w.exitCode === null && w.kill("SIGKILL"));
  await (await sharedRunQueue(database)).stop();
  await database.drop();
});

describe("job workers", () => {
  it("retake the run of a worker killed with SIGKILL mid-task: it ends in success, the killed try failed with its host", async () => {
    const { runId, worker } = await runUntilWorking();
    const killedPid = worker.pid!;
    worker.kill("SIGKILL");
    const killedAt = Date.now();
    const ended = await succeeded(runId);
    expect(ended.status).toBe("success");
    const [killed, retaken] = await tries(runId);
    expect(killed).toMatchObject({ tryNumber: 1, status: "failed" });
    expect(killed!.error).toContain(`process ${killedPid} on ${os.hostname()}`);
    expect(retaken).toMatchObject({ tryNumber: 2, status: "success" });
    // Taken for dead after RUN_DEAD_AFTER_SECONDS without a heartbeat, swept within half of it, polled each second.
    expect(retaken!.startedAt!.getTime() - killedAt).toBeLessThan(DEAD_AFTER_SECONDS * 1.5 * 1000 + 3000);
    expect(ended.pid).not.toBe(killedPid);
  }, 60_000);

  it("hand a run back on SIGTERM: the worker exits at once and another finishes the run", async () => {
    await startWorkerProcess();
    const { runId, worker } = await runUntilWorking();
    const stoppedAt = Date.now();
    worker.kill("SIGTERM");
    expect(await exited(worker)).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const ended = await succeeded(runId);
    expect(ended.status).toBe("success");
    const [stopped, retaken] = await tries(runId);
    expect(stopped!.error).toMatch(new RegExp(`stopped: the worker on ${os.hostname()} \\(pid ${worker.pid}\\) received SIGTERM`));
    expect(retaken).toMatchObject({ tryNumber: 2, status: "success" });
    // Handed back, not swept: taken again well before a dead run would be noticed.
    expect(retaken!.startedAt!.getTime() - stoppedAt).toBeLessThan(DEAD_AFTER_SECONDS * 1000);
  }, 60_000);

  it("retry an operator's failed run in a worker, not in the process that asked", async () => {
    const ctx = { database, env: queuedEnv() };
    const outcome = await triggerJob(SLOW_JOB, ctx, { trigger: "console", triggeredBy: "test", params: { failFinish: true } });
    if (outcome.kind !== "started") throw new Error("the run did not start");
    expect((await waitForRun(database, outcome.run.id, 100)).status).toBe("failed");
    await retryJob(SLOW_JOB, ctx, outcome.run.id);
    const ended = await succeeded(outcome.run.id);
    expect(ended.status).toBe("success");
    expect(workers.some((w) => w.pid === ended.pid)).toBe(true);
    await expect(retryJob(SLOW_JOB, ctx, outcome.run.id)).rejects.toThrow(NothingToRetryError);
  }, 60_000);
});
