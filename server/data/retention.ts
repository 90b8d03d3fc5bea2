import { z } from "zod";
import type { Database } from "../db/client";
import type { RunStatus, TaskStatus } from "../db/generated/client";
import { feedbackPartitions, type FeedbackPartition } from "../experiments/feedback-partitions";
import { feedbackPartitionsOutput } from "../experiments/outputs";
import { ANALYZE_PIPELINE } from "../experiments/pipeline";
import { lakeRetentionOutput } from "../ingestion/outputs";
import { INGEST_PIPELINE } from "../ingestion/pipeline";
import { DATASETS } from "../ingestion/records";
import { landedFile } from "../ingestion/retention";
import type { TaskOutput } from "../pipeline/outputs";
import { retentionOutput } from "../recommender/outputs";
import { TRAIN_PIPELINE } from "../recommender/pipeline";
import type { ObjectStore, StoredObject } from "../storage/store";

/** Days kept, as configured (LAKE_KEEP_DAYS for both today; FEEDBACK_KEEP_DAYS). */
export interface RetentionPolicy {
  lakeKeepDays: number;
  snapshotKeepDays: number;
  feedbackKeepDays: number;
}

/** One try of a retention task, with what it recorded when it succeeded. */
export interface RetentionTry<T> {
  runId: number;
  tryNumber: number;
  status: "running" | "success" | "failed";
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  /** the typed output of a successful try; null otherwise, or when it does not match its schema (`outputError` says why) */
  output: T | null;
  outputError: string | null;
}

/** Runs that have the task but whose latest try of it never started: a task it needs failed, the run was abandoned, or it waits. */
export interface NotStarted {
  runs: number;
  latest: { runId: number; runStatus: RunStatus; taskStatus: TaskStatus; reason: string | null; createdAt: Date };
}

/** What a retention task did last: `last` is the latest try that started; `lastSuccess` is set only when that try did not succeed. */
export interface RetentionTaskReport<T> {
  last: RetentionTry<T> | null;
  lastSuccess: RetentionTry<T> | null;
  /** runs created after `last` started (all of them when it never ran) that did not reach the task */
  notStarted: NotStarted | null;
}

export interface LakeDay {
  day: string;
  files: number;
  bytes: number;
  runs: number[];
}

/** What the store and the tables hold now, or why the store could not be read. */
export type Stored<T> = { ok: true; value: T } | { ok: false; error: string };

export interface RetentionReport {
  policy: RetentionPolicy;
  lake: {
    task: RetentionTaskReport<z.output<typeof lakeRetentionOutput.schema>>;
    stored: Stored<{ files: number; bytes: number; days: LakeDay[]; oldestDay: string | null }>;
  };
  train: {
    task: RetentionTaskReport<z.output<typeof retentionOutput.schema>>;
    snapshots: Stored<{ files: number; bytes: number; oldestTakenAt: Date | null }>;
    batchScores: { versionId: number; family: string; rows: number; aliases: string[] }[];
  };
  feedback: {
    task: RetentionTaskReport<z.output<typeof feedbackPartitionsOutput.schema>>;
    partitions: FeedbackPartition[];
  };
}

type TryRow = { runId: number; tryNumber: number; status: TaskStatus; startedAt: Date | null; finishedAt: Date | null; error: string | null; details: unknown };

function asTry<S extends z.ZodObject>(row: TryRow, output: TaskOutput<S>): RetentionTry<z.output<S>> {
  const parsed = row.status === "success" ? output.schema.safeParse(row.details) : null;
  return {
    runId: row.runId,
    tryNumber: row.tryNumber,
    // Only started tries are read here; a queued or skipped one is counted in `notStarted`.
    status: row.status === "success" || row.status === "failed" ? row.status : "running",
    startedAt: row.startedAt ?? new Date(0),
    finishedAt: row.finishedAt,
    error: row.error,
    output: parsed?.success ? parsed.data : null,
    outputError: parsed && !parsed.success ? z.prettifyError(parsed.error) : null,
  };
}

const TRY_FIELDS = { runId: true, tryNumber: true, status: true, startedAt: true, finishedAt: true, error: true, details: true } as const;

/** The latest started try of `output.task` in `pipeline`'s runs, the latest success when that one did not succeed, and the runs since that never reached it. */
export async function retentionTaskReport<S extends z.ZodObject>(
  database: Database,
  pipeline: string,
  output: TaskOutput<S>,
): Promise<RetentionTaskReport<z.output<S>>> {
  const where = { task: output.task, run: { pipeline }, startedAt: { not: null } };
  const newestFirst = [{ startedAt: "desc" as const }, { id: "desc" as const }];
  const lastRow = await database.db.taskRun.findFirst({ where, orderBy: newestFirst, select: TRY_FIELDS });
  const last = lastRow ? asTry(lastRow, output) : null;
  const successRow =
    last && last.status !== "success"
      ? await database.db.taskRun.findFirst({ where: { ...where, status: "success" }, orderBy: newestFirst, select: TRY_FIELDS })
      : null;
  // The latest try of each run created since: one that has not started means the run did not reach the task.
  const { rows } = await database.pool.query<{
    run_id: number;
    run_status: RunStatus;
    status: TaskStatus;
    error: string | null;
    created_at: Date;
    runs: number;
  }>(
    `WITH latest AS (
       SELECT DISTINCT ON (t.run_id) t.run_id, r.status AS run_status, t.status, t.error, t.started_at, r.created_at
       FROM task_runs t JOIN pipeline_runs r ON r.id = t.run_id
       WHERE t.task = $1 AND r.pipeline = $2 AND r.created_at > $3
       ORDER BY t.run_id, t.try_number DESC)
     SELECT run_id, run_status, status, error, created_at, count(*) OVER ()::int AS runs FROM latest WHERE started_at IS NULL ORDER BY created_at DESC, run_id DESC LIMIT 1`,
    [output.task, pipeline, last?.startedAt ?? new Date(0)],
  );
  const newest = rows[0];
  return {
    last,
    lastSuccess: successRow ? asTry(successRow, output) : null,
    notStarted: newest
      ? {
          runs: newest.runs,
          latest: { runId: newest.run_id, runStatus: newest.run_status, taskStatus: newest.status, reason: newest.error, createdAt: newest.created_at },
        }
      : null,
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The raw pages in the lake now, by the day they landed. */
export async function lakeContents(store: ObjectStore): Promise<{ files: number; bytes: number; days: LakeDay[]; oldestDay: string | null }> {
  const byDay = new Map<string, { files: number; bytes: number; runs: Set<number> }>();
  for (const dataset of DATASETS) {
    for (const { key, bytes } of await store.listSizes(`${dataset}/`)) {
      const landed = landedFile(key);
      if (!landed) continue;
      const day = byDay.get(landed.day) ?? { files: 0, bytes: 0, runs: new Set<number>() };
      day.files++;
      day.bytes += bytes;
      day.runs.add(landed.runId);
      byDay.set(landed.day, day);
    }
  }
  const days = [...byDay]
    .map(([day, d]) => ({ day, files: d.files, bytes: d.bytes, runs: [...d.runs].sort((a, b) => a - b) }))
    .sort((a, b) => (a.day < b.day ? -1 : 1));
  return {
    files: days.reduce((n, d) => n + d.files, 0),
    bytes: days.reduce((n, d) => n + d.bytes, 0),
    days,
    oldestDay: days[0]?.day ?? null,
  };
}

/** The snapshot files in the store now, and when the oldest snapshot still having its file was taken. */
async function snapshotContents(database: Database, store: ObjectStore) {
  const files: StoredObject[] = await store.listSizes("snapshots/");
  const oldest = files.length
    ? await database.db.trainSnapshot.findFirst({
        where: { path: { in: files.map((f) => store.locate(f.key)) } },
        orderBy: { createdAt: "asc" },
        select: { createdAt: true },
      })
    : null;
  return { files: files.length, bytes: files.reduce((n, f) => n + f.bytes, 0), oldestTakenAt: oldest?.createdAt ?? null };
}

/** Batch-score rows per version that has any, with each version's aliases. */
async function batchScores(database: Database) {
  const [{ rows }, aliases] = await Promise.all([
    // Version by version on the primary key (version_id, user_id), as retention probes them.
    database.pool.query<{ version_id: number; family: string; rows: number }>(
      `SELECT v.id AS version_id, v.family, (SELECT count(*) FROM recommendations r WHERE r.version_id = v.id)::int AS rows
       FROM model_versions v WHERE EXISTS (SELECT 1 FROM recommendations r WHERE r.version_id = v.id) ORDER BY v.id`,
    ),
    database.db.modelAlias.findMany({ select: { alias: true, versionId: true }, orderBy: { alias: "asc" } }),
  ]);
  return rows.map((r) => ({
    versionId: r.version_id,
    family: r.family,
    rows: r.rows,
    aliases: aliases.filter((a) => a.versionId === r.version_id).map((a) => a.alias),
  }));
}

const settled = async <T>(read: Promise<T>): Promise<Stored<T>> =>
  read.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: messageOf(error) }),
  );

/** What retention keeps and deletes, as the console's Data page shows it: the policy, the tasks' last tries, and what is stored now (feedback months included). */
export async function retentionReport(database: Database, store: ObjectStore, policy: RetentionPolicy): Promise<RetentionReport> {
  const [lakeTask, trainTask, feedbackTask, lake, snapshots, scores, partitions] = await Promise.all([
    retentionTaskReport(database, INGEST_PIPELINE, lakeRetentionOutput),
    retentionTaskReport(database, TRAIN_PIPELINE, retentionOutput),
    retentionTaskReport(database, ANALYZE_PIPELINE, feedbackPartitionsOutput),
    // A store that cannot be read (S3 unreachable) says so instead of failing the page.
    settled(lakeContents(store)),
    settled(snapshotContents(database, store)),
    batchScores(database),
    feedbackPartitions(database.pool),
  ]);
  return {
    policy,
    lake: { task: lakeTask, stored: lake },
    train: { task: trainTask, snapshots, batchScores: scores },
    feedback: { task: feedbackTask, partitions },
  };
}
