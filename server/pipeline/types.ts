import { DomainError } from "../domain/errors";
import type { Database } from "../db/client";
import type { PipelineRun, RunTrigger } from "../db/generated/client";

export interface RowCounts {
  rowsFetched: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsRejected: number;
}

export const NO_ROWS: RowCounts = { rowsFetched: 0, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 0, rowsRejected: 0 };

export interface TaskContext {
  database: Database;
  run: PipelineRun;
  task: string;
  tryNumber: number;
  log(line: string): void;
  progress(done: number, total: number | null): void;
  count(rows: Partial<RowCounts>): void;
  /** Merged into the task's `details` (measures a reader needs, e.g. reconciliation counts). */
  detail(values: Record<string, unknown>): void;
  /** Aborted when an operator cancels the run; long tasks check it between pages. */
  signal: AbortSignal;
  /** The run's one instance of `resource`, made by the first task that asks (in this process). */
  resource<T>(resource: RunResource<T>): Promise<T>;
}

/**
 * Something the tasks of a run share (e.g. a train run's splits and fitted models): made lazily by
 * the first task that asks, disposed when the run ends, as Dagster's resources are.
 */
export interface RunResource<T> {
  name: string;
  create(ctx: TaskContext): Promise<T>;
  dispose?(value: T): void | Promise<void>;
}

export interface TaskDefinition {
  name: string;
  /** Tasks that must succeed first; they must be declared earlier. */
  needs?: string[];
  /** Tasks that must have ended first, whatever their outcome (e.g. a blend of whichever families trained). */
  after?: string[];
  run(ctx: TaskContext): Promise<void>;
  /** Tries after a failed one, each a new try of the task in the same run (as Airflow's `retries`); none by default. */
  retries?: number;
  /** Wait before the first retry, doubled for each next one. */
  retryDelayMs?: number;
}

export interface PipelineDefinition {
  name: string;
  tasks: TaskDefinition[];
}

export interface TriggerRequest {
  trigger: RunTrigger;
  idempotencyKey?: string;
  triggeredBy?: string;
  params?: Record<string, unknown>;
}

/** What the CLI and the console hear while a run goes. */
export interface RunObserver {
  onLog?(task: string, line: string): void;
  onProgress?(task: string, done: number, total: number | null): void;
}

/**
 * Thrown by a task when the whole run has nothing to do (e.g. the data gate is closed): the run ends
 * `skipped` with this message, and so do its remaining tasks.
 */
export class SkipRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SkipRunError";
  }
}

export class RunInProgressError extends DomainError {
  constructor(
    readonly pipeline: string,
    readonly runId: number | null,
  ) {
    super("CONFLICT", runId === null ? `A ${pipeline} run is in progress.` : `A ${pipeline} run is in progress: run ${runId}.`);
    this.name = "RunInProgressError";
  }
}
