import type { Db } from "../db/client";
import type { Prisma, RunStatus, RunTrigger } from "../db/generated/client";
import { runOutcome, runOutcomes } from "./run-outcome";

export interface RunFilter {
  pipeline?: string;
  status?: RunStatus;
  trigger?: RunTrigger;
  /** inclusive, UTC */
  from?: Date;
  /** exclusive, UTC */
  to?: Date;
}

function where(filter: RunFilter): Prisma.PipelineRunWhereInput {
  return {
    pipeline: filter.pipeline,
    status: filter.status,
    trigger: filter.trigger,
    createdAt: filter.from || filter.to ? { gte: filter.from, lt: filter.to } : undefined,
  };
}

/** A page of runs, newest first, with their total rows, failed tasks and what they concluded (train, analyze, demo). */
export async function listRuns(db: Db, filter: RunFilter, page: number, pageSize: number) {
  const [total, runs] = await Promise.all([
    db.pipelineRun.count({ where: where(filter) }),
    db.pipelineRun.findMany({
      where: where(filter),
      orderBy: { id: "desc" },
      skip: (page - 1) * pageSize,
      take: pageSize,
      select: {
        id: true,
        pipeline: true,
        trigger: true,
        status: true,
        triggeredBy: true,
        createdAt: true,
        startedAt: true,
        finishedAt: true,
        error: true,
        tasks: { select: { task: true, tryNumber: true, status: true, rowsFetched: true, rowsRejected: true } },
      },
    }),
  ]);
  const outcomes = await runOutcomes(db, runs);
  return {
    total,
    page,
    pageSize,
    runs: runs.map(({ tasks, ...run }) => ({
      ...run,
      outcome: outcomes.get(run.id) ?? null,
      rowsFetched: tasks.reduce((sum, t) => sum + t.rowsFetched, 0),
      rowsRejected: tasks.reduce((sum, t) => sum + t.rowsRejected, 0),
      failedTasks: [...latestTries(tasks).values()].filter((t) => t.status === "failed").map((t) => t.task),
    })),
  };
}

/** The latest try of each task, by task name. */
export function latestTries<T extends { task: string; tryNumber: number }>(tasks: T[]): Map<string, T> {
  const latest = new Map<string, T>();
  for (const t of tasks) if ((latest.get(t.task)?.tryNumber ?? 0) < t.tryNumber) latest.set(t.task, t);
  return latest;
}

/**
 * Tasks by recent runs matching the filter, like Airflow's grid: one column per run (oldest left) with
 * its duration, one row per task, its latest try.
 */
export async function runGrid(db: Db, filter: RunFilter & { pipeline: string }, runs = 25) {
  const recent = await db.pipelineRun.findMany({
    where: where(filter),
    orderBy: { id: "desc" },
    take: runs,
    select: {
      id: true,
      status: true,
      createdAt: true,
      trigger: true,
      startedAt: true,
      finishedAt: true,
      tasks: { select: { id: true, task: true, tryNumber: true, status: true, startedAt: true, finishedAt: true }, orderBy: { id: "asc" } },
    },
  });
  const taskNames: string[] = [];
  for (const run of [...recent].reverse()) for (const t of run.tasks) if (!taskNames.includes(t.task)) taskNames.push(t.task);
  return {
    tasks: taskNames,
    runs: recent.reverse().map(({ tasks, ...run }) => ({ ...run, cells: Object.fromEntries(latestTries(tasks)) })),
  };
}

/** Everything about one run: every try of every task (with logs), its checks, its quarantine by dataset and reason, what it concluded. */
export async function runDetail(db: Db, runId: number) {
  const run = await db.pipelineRun.findUnique({
    where: { id: runId },
    include: { tasks: { orderBy: [{ id: "asc" }] }, checks: { orderBy: [{ check: "asc" }, { dataset: "asc" }] } },
  });
  if (!run) return null;
  const quarantine = await db.quarantinedRecord.groupBy({ by: ["dataset", "reasonCode"], where: { runId }, _count: true });
  return { ...run, quarantine: quarantine.map((q) => ({ dataset: q.dataset, reasonCode: q.reasonCode, count: q._count })), outcome: await runOutcome(db, run) };
}
