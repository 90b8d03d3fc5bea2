import type { TaskContext } from "../pipeline/types";
import { writeOutput } from "../pipeline/outputs";
import { datasetOutputs, datasetReads } from "./outputs";
import type { IdSet } from "./id-set";
import { copyLine, OpenBatch } from "./load";
import type { Dataset, ListenHistoryRecord } from "./records";
import { validateRecord } from "./validate";

const WRITERS = 2;

/** What listen_history records refer to, read once when its task starts (tracks and users are loaded by then). */
export interface KnownIds {
  tracks: IdSet;
  users: IdSet;
}

/**
 * Validates the records of incoming pages and loads them in batches of `batchSize`, streamed into
 * the database as they are read (OpenBatch) and merged at most WRITERS at once, so memory stays
 * bounded however large the source or the batch is: the keys read go to the database with their
 * batch (`ingest_read_keys`), where reconciliation counts them.
 */
export class DatasetIngestor {
  /** the batch the next pages go to */
  private batch: OpenBatch | undefined;
  /** records read into it, valid or not */
  private buffered = 0;
  private readonly writing = new Set<Promise<void>>();
  private readonly unknownFields = new Map<string, number>();
  /** items of the loaded histories, and those naming a track not in `tracks` */
  private items = 0;
  private orphanItems = 0;
  private waitingForUser = 0;
  /** records older than the stored version of their key */
  private backwards = 0;
  private fetched = 0;
  private invalid = 0;
  private pass = 1;
  /** what the source said it holds, and how many records its latest full read gave */
  private source: { total: number; fetched: number } | undefined;
  /** source timestamps past a day after this read began are quarantined (a retry days later reads newer data) */
  private readonly readStartedMs = Date.now();

  /**
   * `known`: for listen_history, the ids in `tracks` (to count items that point elsewhere) and in
   * `users` (a history whose user is not there yet waits in quarantine, exactly as it came).
   */
  constructor(
    private readonly ctx: TaskContext,
    private readonly dataset: Dataset,
    private readonly batchSize: number,
    private readonly known?: KnownIds,
  ) {}

  async addPage(items: unknown[]): Promise<void> {
    const known = this.known;
    this.batch ??= new OpenBatch(this.ctx.database.pool, this.dataset);
    const batch = this.batch;
    // Joined once: a string grown by += is a rope that Buffer.from must flatten, which cost more than making the lines.
    const lines: string[] = [];
    for (const raw of items) {
      const result = validateRecord(this.dataset, raw, this.readStartedMs);
      for (const field of result.unknownFields) this.unknownFields.set(field, (this.unknownFields.get(field) ?? 0) + 1);
      if (result.ok) {
        if (known) {
          const history = result.record as ListenHistoryRecord;
          if (!known.users.has(history.user_id)) {
            batch.reject({ reasonCode: "unknown_user", reason: `user ${history.user_id} is not in users (yet)`, key: result.key, payload: history });
            this.waitingForUser++;
            continue;
          }
          this.items += history.items.length;
          for (const item of history.items) if (!known.tracks.has(item)) this.orphanItems++;
        }
        lines.push(copyLine(this.dataset, result.record));
      } else {
        batch.reject({ reasonCode: "invalid", reason: result.reason, key: result.key, payload: raw });
        this.invalid++;
      }
    }
    const taken = lines.length === 0 || batch.write(Buffer.from(lines.join("")));
    this.buffered += items.length;
    this.fetched += items.length;
    this.ctx.count({ rowsFetched: items.length });
    if (this.buffered >= this.batchSize) await this.flush();
    else if (!taken) await batch.drained();
  }

  /**
   * A new full read of the source begins: keys seen again are re-reads, not the source repeating
   * itself. What is buffered is written first, so that each batch belongs to one read.
   */
  async startPass(pass: number): Promise<void> {
    await this.flush();
    this.pass = pass;
  }

  /** At the end of a full read: the source's `total`, and the records that read gave, for reconciliation. */
  sourceSaid(total: number, fetched: number) {
    this.source = { total, fetched };
  }

  /**
   * Writes what is buffered. Up to WRITERS batches are written at once (the database has cores to
   * spare while this process parses pages); past that, the caller waits, which holds back the reader.
   */
  async flush(): Promise<void> {
    const read = { tryNumber: this.ctx.tryNumber, pass: this.pass };
    const batch = this.batch;
    this.batch = undefined;
    this.buffered = 0;
    if (batch === undefined) return;
    while (this.writing.size >= WRITERS) await Promise.race(this.writing);
    const write = batch.commit(this.ctx.run.id, read).then((result) => {
      this.ctx.count({ rowsInserted: result.inserted, rowsUpdated: result.updated, rowsUnchanged: result.unchanged, rowsRejected: result.quarantined });
      this.backwards += result.backwards;
    });
    this.writing.add(write);
    try {
      await write;
    } finally {
      this.writing.delete(write);
    }
  }

  /** The read failed: the open batch rolls back, and the batches being merged end either way before the task does. */
  async abandon(): Promise<void> {
    const batch = this.batch;
    this.batch = undefined;
    await Promise.allSettled([batch?.abandon(), ...this.writing]);
  }

  async finish(): Promise<void> {
    await this.flush();
    await Promise.all(this.writing);
    writeOutput(this.ctx, datasetReads[this.dataset], {
      read: { tryNumber: this.ctx.tryNumber, fetched: this.fetched, invalid: this.invalid, source: this.source ?? null },
    });
    const unknown = Object.fromEntries(this.unknownFields);
    if (this.unknownFields.size > 0) this.ctx.log(`source sent fields the pipeline does not know: ${JSON.stringify(unknown)}`);
    if (this.backwards > 0)
      this.ctx.log(`${this.backwards} records came with an updated_at older than the stored version of their key; the stored version was kept`);
    writeOutput(this.ctx, datasetOutputs[this.dataset], {
      unknownFields: unknown,
      updatedAtBackwards: this.backwards,
      ...(this.dataset === "listen_history" ? { items: this.items, orphanItems: this.orphanItems, waitingForUser: this.waitingForUser } : {}),
    });
  }
}
