import type { Db } from "../db/client";
import type { Prisma, TaskStatus } from "../db/generated/client";
import { forViewers } from "./viewer-text";
import { writeThroughOutage } from "./ledger-write";
import { NO_ROWS, type RowCounts } from "./types";

const FLUSH_EVERY_MS = 1000;
const MAX_LOG_LINE = 2000;

/** Buffers a task try's logs, progress and row counts, and writes them to the ledger once a second. */
export class TaskRecorder {
  private rows: RowCounts = { ...NO_ROWS };
  private details: Record<string, unknown> = {};
  private pendingLogs: string[] = [];
  private pages: { done: number; total: number | null } = { done: 0, total: null };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    readonly taskRunId: number,
    private readonly prefix: string,
  ) {}

  start() {
    this.timer = setInterval(() => {
      // A failed periodic write is retried by the next one; the final write reports its own error.
      this.flush().catch((error: unknown) => console.error(`${this.prefix} could not write progress: ${String(error)}`));
    }, FLUSH_EVERY_MS);
    this.timer.unref();
    return this.db.taskRun.update({ where: { id: this.taskRunId }, data: { status: "running", startedAt: new Date() } });
  }

  /** Viewers read task logs: whatever a source or a proxy put in a message, no credential is kept. */
  log(raw: string) {
    const line = forViewers(raw);
    const stamped = `${new Date().toISOString()} ${line.length > MAX_LOG_LINE ? `${line.slice(0, MAX_LOG_LINE)}…` : line}`;
    this.pendingLogs.push(stamped);
    console.log(`${this.prefix} ${line}`);
  }

  progress(done: number, total: number | null) {
    this.pages = { done, total };
  }

  count(rows: Partial<RowCounts>) {
    for (const [key, value] of Object.entries(rows) as [keyof RowCounts, number][]) this.rows[key] += value;
  }

  detail(values: Record<string, unknown>) {
    Object.assign(this.details, values);
  }

  get counts(): RowCounts {
    return { ...this.rows };
  }

  /** Serialised, so a slow write never overlaps the next one. */
  flush(final?: { status: TaskStatus; error?: string }): Promise<void> {
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        const logs = this.pendingLogs;
        this.pendingLogs = [];
        const write = this.db.taskRun.update({
          where: { id: this.taskRunId },
          data: {
            ...this.rows,
            pagesDone: this.pages.done,
            pagesTotal: this.pages.total,
            details: this.details as Prisma.InputJsonValue,
            ...(logs.length ? { logs: { push: logs } } : {}),
            ...(final ? { status: final.status, error: final.error ?? null, finishedAt: new Date() } : {}),
          },
        });
        await write.catch((error: unknown) => {
          this.pendingLogs = [...logs, ...this.pendingLogs];
          throw error;
        });
      });
    return this.flushing;
  }

  /** The try's end, retried through a database outage so the ledger never keeps it running. */
  async finish(status: TaskStatus, error?: string) {
    clearInterval(this.timer);
    const final = { status, error: error === undefined ? undefined : forViewers(error) };
    await writeThroughOutage(this.prefix, () => this.flush(final));
  }
}
