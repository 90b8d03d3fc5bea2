import type { Db } from "../db/client";
import type { Prisma, RunStatus, TaskStatus } from "../db/generated/client";

export interface SeedTask {
  task: string;
  status?: TaskStatus;
  rowsFetched?: number;
  details?: Prisma.InputJsonValue;
  error?: string;
}

/** A run written straight into the ledger, as if it had happened. */
export function seedRun(
  db: Db,
  {
    pipeline = "ingest",
    status = "success",
    startedAt = new Date(),
    seconds = 10,
    error,
    tasks = [],
  }: { pipeline?: string; status?: RunStatus; startedAt?: Date; seconds?: number; error?: string; tasks?: SeedTask[] },
) {
  const finishedAt = status === "running" ? null : new Date(startedAt.getTime() + seconds * 1000);
  return db.pipelineRun.create({
    data: {
      pipeline,
      trigger: "cron",
      status,
      error,
      createdAt: startedAt,
      startedAt,
      finishedAt,
      tasks: {
        create: tasks.map((t) => {
          // As the runner leaves them: a task that never started has no times.
          const started = t.status !== "queued" && t.status !== "skipped";
          return {
            task: t.task,
            tryNumber: 1,
            status: t.status ?? "success",
            rowsFetched: t.rowsFetched ?? 0,
            details: t.details ?? {},
            error: t.error,
            startedAt: started ? startedAt : null,
            finishedAt: started ? finishedAt : null,
          };
        }),
      },
    },
  });
}

export const datasetTasks = (rows: { tracks: number; users: number; listen_history: number }): SeedTask[] =>
  Object.entries(rows).map(([task, rowsFetched]) => ({ task, rowsFetched }));

/** A model version written straight into the registry, with no evaluation or artefact unless given. */
export function seedVersion(db: Db, snapshotId: number, overrides: Partial<Prisma.ModelVersionUncheckedCreateInput> = {}) {
  return db.modelVersion.create({
    data: {
      family: "popularity",
      params: {},
      codeVersion: "test",
      snapshotId,
      metrics: {},
      baselineMetrics: {},
      training: {},
      artefactDigest: "-",
      artefactBytes: 0,
      ...overrides,
    },
  });
}
