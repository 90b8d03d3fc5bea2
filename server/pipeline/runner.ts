import { DomainError } from "../domain/errors";
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../db/client";
import type { PipelineRun, Prisma, TaskStatus } from "../db/generated/client";
import { beatWhileRunning, DEFAULT_LIVENESS, HEARTBEAT_STALE_MS, type Liveness } from "./heartbeat";
import { writeThroughOutage } from "./ledger-write";
import { tryLockPipeline, type PipelineLock } from "./lock";
import { forViewers } from "./viewer-text";
import { sampleResources } from "./resources";
import { TaskRecorder } from "./task-recorder";
import {
  RunInProgressError,
  SkipRunError,
  type PipelineDefinition,
  type RunObserver,
  type RunResource,
  type TaskContext,
  type TaskDefinition,
  type TriggerRequest,
} from "./types";

/**
 * A run this call started (`finished` resolves when it ends), or the existing run its idempotency
 * key named (`deduped`: whoever started it watches it; `waitForRun` waits for it).
 */
export type StartedRun = NewRun | { run: PipelineRun; deduped: true };
export type NewRun = { run: PipelineRun; deduped: false; finished: Promise<PipelineRun> };

const TERMINAL = new Set(["success", "failed", "skipped"]);

/** Runs executing in this process: stopped and recorded as ended when the process shuts down. */
const localRuns = new Map<number, { stop(reason: Error): void; ended: Promise<unknown> }>();

/**
 * Asks every run of this process to stop (its tasks end at their next page or request) and waits,
 * at most `timeoutMs`, until each is recorded as ended. Returns the ids of the runs it stopped.
 */
export async function stopLocalRuns(reason: string, timeoutMs = 7000): Promise<number[]> {
  const runs = [...localRuns.entries()];
  for (const [, run] of runs) run.stop(new Error(reason));
  const deadline = sleep(timeoutMs, undefined, { ref: false });
  await Promise.race([Promise.allSettled(runs.map(([, run]) => run.ended)), deadline]);
  return runs.map(([id]) => id);
}

/** Polls the ledger until the run ends; rejects (AbortError) once `signal` aborts. */
export async function waitForRun(database: Database, runId: number, pollMs = 500, signal?: AbortSignal): Promise<PipelineRun> {
  for (;;) {
    signal?.throwIfAborted();
    const run = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: runId } });
    if (TERMINAL.has(run.status)) return run;
    await sleep(pollMs, undefined, { signal });
  }
}

function assertTopological(definition: PipelineDefinition) {
  const seen = new Set<string>();
  for (const task of definition.tasks) {
    for (const need of [...(task.needs ?? []), ...(task.after ?? [])]) {
      if (!seen.has(need)) throw new Error(`${definition.name}: task ${task.name} needs ${need}, which is not declared before it`);
    }
    seen.add(task.name);
  }
}

/**
 * Runs of this pipeline left running by a process that died, recorded failed with `reason` (by
 * default what is known of the process) and ended at their last sign of life; a task that was going
 * failed, one that never started is skipped. Only called while holding the lock.
 */
async function failAbandonedRuns(database: Database, pipeline: string, reason?: string): Promise<number[]> {
  const abandoned = await database.db.pipelineRun.findMany({
    where: { pipeline, status: { in: ["queued", "running"] } },
    select: { id: true, heartbeatAt: true, startedAt: true, createdAt: true, host: true, pid: true },
  });
  for (const run of abandoned) {
    const lastSign = run.heartbeatAt ?? run.startedAt ?? run.createdAt;
    const process = run.pid === null ? "the process running it" : `process ${run.pid} on ${run.host}`;
    const error = reason ?? `abandoned: ${process} stopped; last sign of life at ${lastSign.toISOString()}`;
    const finishedAt = reason ? new Date() : lastSign;
    await database.db.$transaction([
      database.db.taskRun.updateMany({ where: { runId: run.id, status: "running" }, data: { status: "failed", error, finishedAt } }),
      database.db.taskRun.updateMany({
        where: { runId: run.id, status: "queued" },
        data: { status: "skipped", error: "not run: the run was abandoned", finishedAt },
      }),
      database.db.pipelineRun.update({ where: { id: run.id }, data: { status: "failed", error, finishedAt } }),
    ]);
    console.warn(`[pipeline ${pipeline}] marked run ${run.id} failed: ${error}`);
  }
  return abandoned.map((r) => r.id);
}

/**
 * Runs whose process died (no heartbeat for `staleMs` and their pipeline's lock free), recorded as
 * failed. Any process may call it; returns the runs it ended, by pipeline.
 */
export async function sweepDeadRuns(database: Database, staleMs = HEARTBEAT_STALE_MS): Promise<Map<string, number[]>> {
  const stale = await database.db.$queryRaw<{ pipeline: string }[]>`
    SELECT DISTINCT pipeline FROM pipeline_runs
    WHERE status IN ('queued', 'running') AND COALESCE(heartbeat_at, started_at, created_at) < now() - ${staleMs} * interval '1 millisecond'`;
  const swept = new Map<string, number[]>();
  for (const { pipeline } of stale) {
    // A held lock means a live process still owns the run, however late its heartbeat.
    const lock = await tryLockPipeline(database.pool, pipeline);
    if (!lock) continue;
    try {
      const ids = await failAbandonedRuns(database, pipeline);
      if (ids.length) swept.set(pipeline, ids);
    } finally {
      await lock.release();
    }
  }
  return swept;
}

/**
 * After a process that ran jobs stopped (e.g. the web server): its runs no longer hold their
 * pipeline's lock, so each is recorded as ended with `reason`. A run another process still holds is left alone.
 */
export async function endRunsOfStoppedProcesses(database: Database, pipelines: string[], reason: string): Promise<number[]> {
  const ended: number[] = [];
  for (const pipeline of pipelines) {
    const lock = await tryLockPipeline(database.pool, pipeline);
    if (!lock) continue;
    try {
      ended.push(...(await failAbandonedRuns(database, pipeline, reason)));
    } finally {
      await lock.release();
    }
  }
  return ended;
}

/**
 * The run holding the lock, the running one with a recent heartbeat before any a dead process left;
 * it may take a moment to be recorded when both triggers came at once.
 */
export async function runningRunId(database: Database, pipeline: string): Promise<number | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [running] = await database.db.$queryRaw<{ id: number }[]>`
      SELECT id FROM pipeline_runs WHERE pipeline = ${pipeline} AND status = 'running'
      ORDER BY heartbeat_at > now() - ${HEARTBEAT_STALE_MS} * interval '1 millisecond' DESC NULLS LAST, id DESC LIMIT 1`;
    if (running) return running.id;
    await sleep(100);
  }
  return null;
}

async function findByKey(database: Database, pipeline: string, idempotencyKey: string | undefined) {
  if (!idempotencyKey) return null;
  return database.db.pipelineRun.findUnique({ where: { pipeline_idempotencyKey: { pipeline, idempotencyKey } } });
}

/**
 * Starts a run of `definition` unless one is going (RunInProgressError, with its id) or the
 * idempotency key names an existing run (returned as is). The run goes on in the background.
 */
export async function startRun(
  database: Database,
  definition: PipelineDefinition,
  request: TriggerRequest,
  observer: RunObserver = {},
  liveness: Liveness = DEFAULT_LIVENESS,
): Promise<StartedRun> {
  assertTopological(definition);
  const pipeline = definition.name;
  const existing = await findByKey(database, pipeline, request.idempotencyKey);
  if (existing) return { run: existing, deduped: true };

  const lock = await tryLockPipeline(database.pool, pipeline);
  if (!lock) throw new RunInProgressError(pipeline, await runningRunId(database, pipeline));
  try {
    // Checked again under the lock: the same slot may have been delivered twice at once.
    const raced = await findByKey(database, pipeline, request.idempotencyKey);
    if (raced) {
      await lock.release();
      return { run: raced, deduped: true };
    }
    await failAbandonedRuns(database, pipeline);
    const run = await database.db.pipelineRun.create({
      data: {
        pipeline,
        trigger: request.trigger,
        idempotencyKey: request.idempotencyKey,
        triggeredBy: request.triggeredBy,
        params: (request.params ?? {}) as Prisma.InputJsonValue,
        status: "running",
        startedAt: new Date(),
        heartbeatAt: new Date(),
        tasks: { create: definition.tasks.map((t) => ({ task: t.name, tryNumber: 1, status: "queued" as const })) },
      },
      include: { tasks: true },
    });
    const taskRunIds = new Map(run.tasks.map((t) => [t.task, t.id]));
    const finished = executeRun(database, definition, run, taskRunIds, new Set(), lock, observer, liveness);
    return { run, deduped: false, finished };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * Runs the given task tries in dependency order (independent tasks at once); tasks in `succeeded`
 * count as done. A failed task skips what needs it. Releases the lock once the run is recorded as ended.
 */
export async function executeRun(
  database: Database,
  definition: PipelineDefinition,
  run: PipelineRun,
  taskRunIds: Map<string, number>,
  succeeded: Set<string>,
  lock: PipelineLock,
  observer: RunObserver,
  liveness: Liveness = DEFAULT_LIVENESS,
): Promise<PipelineRun> {
  const resources = sampleResources();
  const errors: string[] = [];
  let skipped: string | null = null;
  const cancel = watchForCancel(database, run.id);
  // Without its lock another process may start a run of the pipeline: this one stops at once, with the cause.
  const onLockLost = () => cancel.abort(lock.lost.reason as Error);
  if (lock.lost.aborted) onLockLost();
  else lock.lost.addEventListener("abort", onLockLost, { once: true });
  const heartbeat = beatWhileRunning(database, run.id, liveness.heartbeatEveryMs);
  const shared = new SharedResources();
  let recorded!: () => void;
  localRuns.set(run.id, { stop: cancel.abort, ended: new Promise<void>((resolve) => (recorded = resolve)) });
  try {
    const outcomes = new Map<string, Promise<TaskStatus>>();
    for (const task of definition.tasks) {
      outcomes.set(
        task.name,
        (async (): Promise<TaskStatus> => {
          if (succeeded.has(task.name)) return "success";
          const needs = await Promise.all((task.needs ?? []).map((n) => outcomes.get(n)!));
          await Promise.all((task.after ?? []).map((n) => outcomes.get(n)!));
          const taskRunId = taskRunIds.get(task.name)!;
          if (skipped !== null) {
            await database.db.taskRun.update({ where: { id: taskRunId }, data: { status: "skipped", error: `not run: ${skipped}`, finishedAt: new Date() } });
            return "skipped";
          }
          if (needs.some((s) => s !== "success")) {
            await database.db.taskRun.update({
              where: { id: taskRunId },
              data: { status: "skipped", error: `not run: ${(task.needs ?? []).join(", ")} did not succeed`, finishedAt: new Date() },
            });
            return "skipped";
          }
          const outcome = await runTaskWithRetries(database, definition, run, task, taskRunId, observer, cancel.signal, shared);
          if (outcome.kind === "skipped") {
            skipped = outcome.reason;
            return "skipped";
          }
          if (outcome.kind === "failed") errors.push(`${task.name}: ${outcome.error}`);
          return outcome.kind;
        })(),
      );
    }
    await Promise.all(outcomes.values());
  } catch (error) {
    errors.push(`pipeline: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    cancel.stop();
    await shared.dispose();
  }
  const { cpuMs, peakRssBytes } = resources.stop();
  let ended: PipelineRun;
  try {
    const data = {
      status: errors.length ? ("failed" as const) : skipped !== null ? ("skipped" as const) : ("success" as const),
      error: errors.length ? forViewers(errors.join("\n")) : skipped,
      finishedAt: new Date(),
      cpuMs,
      peakRssBytes,
    };
    ended = await writeThroughOutage(`[pipeline ${definition.name} run ${run.id}]`, () => database.db.pipelineRun.update({ where: { id: run.id }, data }));
  } finally {
    // Released only once the run is recorded as ended, so the next run never takes it for abandoned.
    heartbeat.stop();
    lock.lost.removeEventListener("abort", onLockLost);
    await lock.release();
    localRuns.delete(run.id);
    recorded();
  }
  console.log(`[pipeline ${definition.name} run ${run.id}] ${ended.status}${ended.error ? `: ${ended.error}` : ""}`);
  return ended;
}

/** Polls the ledger for a cancel request (it may come from another process) and aborts the signal then. */
function watchForCancel(database: Database, runId: number, everyMs = 500) {
  const controller = new AbortController();
  // Every request and backoff in flight listens to it (8 pages at once, per dataset, at once).
  setMaxListeners(256, controller.signal);
  const timer = setInterval(() => {
    database.db.pipelineRun
      .findUnique({ where: { id: runId }, select: { cancelRequestedBy: true } })
      .then((r) => {
        if (r?.cancelRequestedBy && !controller.signal.aborted) controller.abort(new Error(`cancelled by ${r.cancelRequestedBy}`));
      })
      .catch(() => undefined);
  }, everyMs);
  timer.unref();
  const abort = (reason: Error) => controller.signal.aborted || controller.abort(reason);
  return { signal: controller.signal, abort, stop: () => clearInterval(timer) };
}

/** Asks a running run to stop; its tasks end at their next page. False when the run is not running. */
export async function requestCancel(database: Database, runId: number, by: string): Promise<boolean> {
  const done = await database.db.pipelineRun.updateMany({ where: { id: runId, status: "running", cancelRequestedBy: null }, data: { cancelRequestedBy: by } });
  return done.count === 1;
}

export class NothingToRetryError extends DomainError {
  constructor(runId: number) {
    super("PRECONDITION_FAILED", `Run ${runId} has no failed or skipped task to retry.`);
    this.name = "NothingToRetryError";
  }
}

/**
 * Runs again the tasks of an ended run whose latest try failed or was skipped, each as a new try
 * (earlier tries and their logs stay). Tasks that succeeded count as done.
 */
export async function retryFailedTasks(
  database: Database,
  definition: PipelineDefinition,
  runId: number,
  observer: RunObserver = {},
  liveness: Liveness = DEFAULT_LIVENESS,
): Promise<NewRun> {
  const lock = await tryLockPipeline(database.pool, definition.name);
  if (!lock) throw new RunInProgressError(definition.name, await runningRunId(database, definition.name));
  try {
    // Under the lock, a run still marked running belongs to a process that died.
    await failAbandonedRuns(database, definition.name);
    const run = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, include: { tasks: { orderBy: { tryNumber: "asc" } } } });
    const latest = new Map(run.tasks.map((t) => [t.task, t]));
    const again = definition.tasks.filter((t) => latest.get(t.name)?.status !== "success");
    if (again.length === 0) throw new NothingToRetryError(runId);
    const created = await database.db.$transaction([
      ...again.map((t) => database.db.taskRun.create({ data: { runId, task: t.name, tryNumber: (latest.get(t.name)?.tryNumber ?? 0) + 1, status: "queued" } })),
    ]);
    const restarted = await database.db.pipelineRun.update({
      where: { id: runId },
      data: { status: "running", error: null, finishedAt: null, cancelRequestedBy: null, heartbeatAt: new Date() },
    });
    const succeeded = new Set(definition.tasks.filter((t) => latest.get(t.name)?.status === "success").map((t) => t.name));
    const finished = executeRun(database, definition, restarted, new Map(created.map((t) => [t.task, t.id])), succeeded, lock, observer, liveness);
    return { run: restarted, deduped: false, finished };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

type TaskOutcome = { kind: "success" } | { kind: "failed"; error: string } | { kind: "skipped"; reason: string };

/** The resources of one run in this process: each made once, on first use, and disposed when the run ends. */
class SharedResources {
  private readonly made = new Map<RunResource<unknown>, Promise<unknown>>();

  get<T>(resource: RunResource<T>, ctx: TaskContext): Promise<T> {
    let value = this.made.get(resource as RunResource<unknown>) as Promise<T> | undefined;
    if (!value) {
      value = resource.create(ctx);
      this.made.set(resource as RunResource<unknown>, value);
      // One that failed to be made is made again by the next task that asks (e.g. a retried try).
      value.catch(() => this.made.delete(resource as RunResource<unknown>));
    }
    return value;
  }

  async dispose(): Promise<void> {
    for (const [resource, value] of this.made) {
      await value.then((made) => resource.dispose?.(made)).catch((error: unknown) => console.error(`[pipeline] disposing ${resource.name} failed:`, error));
    }
    this.made.clear();
  }
}

/** A task's tries: after a failed one, up to `task.retries` more, each a new try row, with doubling waits between them. */
async function runTaskWithRetries(
  database: Database,
  definition: PipelineDefinition,
  run: PipelineRun,
  task: TaskDefinition,
  firstTaskRunId: number,
  observer: RunObserver,
  signal: AbortSignal,
  shared: SharedResources,
): Promise<TaskOutcome> {
  let taskRunId = firstTaskRunId;
  for (let retry = 0; ; retry++) {
    const outcome = await runTask(database, definition, run, task, taskRunId, observer, signal, shared);
    if (outcome.kind !== "failed" || retry >= (task.retries ?? 0) || signal.aborted) return outcome;
    const delayMs = (task.retryDelayMs ?? 0) * 2 ** retry;
    console.warn(
      `[pipeline ${definition.name} run ${run.id} ${task.name}] try failed; retry ${retry + 1} of ${task.retries} in ${(delayMs / 1000).toFixed(1)} s`,
    );
    await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return outcome;
    const { tryNumber } = await database.db.taskRun.findUniqueOrThrow({ where: { id: taskRunId }, select: { tryNumber: true } });
    ({ id: taskRunId } = await database.db.taskRun.create({
      data: { runId: run.id, task: task.name, tryNumber: tryNumber + 1, status: "queued" },
      select: { id: true },
    }));
  }
}

/** Runs one task try and records it. */
async function runTask(
  database: Database,
  definition: PipelineDefinition,
  run: PipelineRun,
  task: TaskDefinition,
  taskRunId: number,
  observer: RunObserver,
  signal: AbortSignal,
  shared: SharedResources,
): Promise<TaskOutcome> {
  const taskRun = await database.db.taskRun.findUniqueOrThrow({ where: { id: taskRunId } });
  const recorder = new TaskRecorder(database.db, taskRunId, `[pipeline ${definition.name} run ${run.id} ${task.name}#${taskRun.tryNumber}]`);
  await recorder.start();
  const started = Date.now();
  try {
    const ctx: TaskContext = {
      database,
      run,
      task: task.name,
      tryNumber: taskRun.tryNumber,
      log: (line) => {
        recorder.log(line);
        observer.onLog?.(task.name, forViewers(line));
      },
      progress: (done, total) => {
        recorder.progress(done, total);
        observer.onProgress?.(task.name, done, total);
      },
      count: (rows) => recorder.count(rows),
      detail: (values) => recorder.detail(values),
      signal,
      resource: (resource) => shared.get(resource, ctx),
    };
    await task.run(ctx);
    signal.throwIfAborted();
    recorder.log(`succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await recorder.finish("success");
    return { kind: "success" };
  } catch (error) {
    if (error instanceof SkipRunError) {
      recorder.log(`skipped the run: ${error.message}`);
      await recorder.finish("skipped", error.message);
      return { kind: "skipped", reason: error.message };
    }
    const message = forViewers(error instanceof Error ? error.message : String(error));
    recorder.log(`failed after ${((Date.now() - started) / 1000).toFixed(1)} s: ${message}`);
    await recorder.finish("failed", message);
    return { kind: "failed", error: message };
  }
}
