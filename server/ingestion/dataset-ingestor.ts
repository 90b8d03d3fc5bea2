import type { TaskContext } from "../pipeline/types";
import { loadBatch, type Rejected } from "./load";
import { recordKey, type Dataset, type ListenHistoryRecord, type TrackRecord, type UserRecord } from "./records";
import { validateRecord } from "./validate";

type AnyRecord = TrackRecord | UserRecord | ListenHistoryRecord;

/**
 * Validates the records of incoming pages and loads them in batches of `batchSize`, one batch at a
 * time, so memory stays bounded however large the source is.
 */
export class DatasetIngestor {
  private valid: AnyRecord[] = [];
  private rejected: Rejected[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly unknownFields = new Map<string, number>();
  private orphanItems = 0;
  private waitingForUser = 0;

  constructor(
    private readonly ctx: TaskContext,
    private readonly dataset: Dataset,
    private readonly batchSize: number,
  ) {}

  async addPage(items: unknown[]): Promise<void> {
    for (const raw of items) {
      const result = validateRecord(this.dataset, raw);
      for (const field of result.unknownFields) this.unknownFields.set(field, (this.unknownFields.get(field) ?? 0) + 1);
      if (result.ok) this.valid.push(result.record as AnyRecord);
      else this.rejected.push({ reasonCode: "invalid", reason: result.reason, key: result.key, payload: raw });
    }
    this.ctx.count({ rowsFetched: items.length });
    if (this.valid.length + this.rejected.length >= this.batchSize) await this.flush();
  }

  /** Writes what is buffered; batches are written one after another, never at once. */
  flush(): Promise<void> {
    const valid = this.valid;
    const rejected = this.rejected;
    this.valid = [];
    this.rejected = [];
    this.writing = this.writing.then(async () => {
      if (valid.length === 0 && rejected.length === 0) return;
      const result = await loadBatch(this.ctx.database.pool, this.ctx.run.id, this.dataset, valid, rejected, (r) => recordKey(this.dataset, r));
      this.orphanItems += result.orphanItems;
      this.waitingForUser += result.quarantined - rejected.length;
      this.ctx.count({ rowsInserted: result.inserted, rowsUpdated: result.updated, rowsUnchanged: result.unchanged, rowsRejected: result.quarantined });
    });
    return this.writing;
  }

  async finish(): Promise<void> {
    await this.flush();
    const unknown = Object.fromEntries(this.unknownFields);
    if (this.unknownFields.size > 0) this.ctx.log(`source sent fields the pipeline does not know: ${JSON.stringify(unknown)}`);
    this.ctx.detail({
      unknownFields: unknown,
      ...(this.dataset === "listen_history" ? { orphanItems: this.orphanItems, waitingForUser: this.waitingForUser } : {}),
    });
  }
}
