import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { deferListenCounts } from "../db/listen-counts";
import type { Dataset, ListenHistoryRecord, LoadedRecord, TrackRecord, UserRecord } from "./records";

interface RejectedFields {
  reason: string;
  key: string | null;
}

/** A record quarantined; its payload is stored as JSON text, which keeps any value JSON can carry. */
export type Rejected =
  | (RejectedFields & { reasonCode: "invalid"; payload: unknown })
  /** a valid history whose user is not in users yet, waiting exactly as it came */
  | (RejectedFields & { reasonCode: "unknown_user"; payload: ListenHistoryRecord });

/** Which read of which ingest try a batch belongs to: the keys of its valid records are recorded for reconciliation. */
export interface ReadOf {
  tryNumber: number;
  pass: number;
}

export interface BatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** of the unchanged, records older than the stored version of their key (a source that was reset?) */
  backwards: number;
  quarantined: number;
}

type Counted = { inserted: string; updated: string; backwards: string };

const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A text field of COPY's text format: backslash, tab and line breaks escaped. */
export const copyField = (value: string) => (/[\\\t\n\r]/.test(value) ? value.replace(ESCAPED, (c) => ESCAPES[c]!) : value);

/**
 * One record as one COPY line, in the column order of its staging table. Timestamps go as the
 * source sent them; COPY reads them in the session's time zone, UTC.
 */
export function copyLine<D extends Dataset>(dataset: D, record: LoadedRecord<D>): string {
  if (dataset === "tracks") {
    const t = record as TrackRecord;
    return `${t.id}\t${copyField(t.name)}\t${copyField(t.artist)}\t${copyField(t.songwriters)}\t${t.duration}\t${copyField(t.genres)}\t${copyField(t.album)}\t${t.created_at}\t${t.updated_at}\n`;
  }
  if (dataset === "users") {
    const u = record as UserRecord;
    return `${u.id}\t${copyField(u.first_name)}\t${copyField(u.last_name)}\t${copyField(u.email)}\t${copyField(u.gender)}\t${copyField(u.favorite_genres)}\t${u.created_at}\t${u.updated_at}\n`;
  }
  const h = record as ListenHistoryRecord;
  return `${h.user_id}\t{${h.items.join(",")}}\t${h.created_at}\t${h.updated_at}\n`;
}

/** Per connection, dropped with it; emptied at every commit. Column order is copyLine's. */
const STAGING: Record<Dataset, string> = {
  tracks: `CREATE TEMP TABLE IF NOT EXISTS stage_tracks (id int, name text, artist text, songwriters text, duration text, genres text, album text, created_at timestamptz, updated_at timestamptz) ON COMMIT DELETE ROWS`,
  users: `CREATE TEMP TABLE IF NOT EXISTS stage_users (id int, first_name text, last_name text, email text, gender text, favorite_genres text, created_at timestamptz, updated_at timestamptz) ON COMMIT DELETE ROWS`,
  listen_history: `CREATE TEMP TABLE IF NOT EXISTS stage_listen_history (user_id int, items int[], created_at timestamptz, updated_at timestamptz) ON COMMIT DELETE ROWS`,
};

/**
 * Inserted and updated rows, and records older than the stored version of their key. The last is
 * counted only when some distinct record was neither inserted nor updated: a first load (every
 * record new) skips that join, which cost about a tenth of the merge. The statement's snapshot
 * predates its own writes, so the join compares with the stored versions.
 */
const mergeCounts = (table: string, matches: string) => `
SELECT c.inserted, c.updated,
       CASE WHEN c.inserted + c.updated < (SELECT count(*) FROM input)
            THEN (SELECT count(*) FROM input i JOIN ${table} t ON ${matches} WHERE t.updated_at > i.updated_at) ELSE 0 END AS backwards
  FROM (SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted) c`;

// The same key can come twice in one batch (a record repeated across pages): DISTINCT ON keeps the
// newest, and its sort makes batches written at once lock rows in the same order (no deadlock).
// A row is rewritten only when the source's updated_at is newer; (xmax = 0) tells inserts from updates.
const MERGES: Record<Dataset, string> = {
  tracks: `
WITH input AS (
  SELECT DISTINCT ON (id) id, name, artist, songwriters, duration, genres, album, created_at, updated_at
    FROM stage_tracks ORDER BY id, updated_at DESC
), upserted AS (
  INSERT INTO tracks AS t (id, name, artist, songwriters, duration, genres, album, created_at, updated_at)
  SELECT * FROM input
  ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, artist = EXCLUDED.artist, songwriters = EXCLUDED.songwriters, duration = EXCLUDED.duration,
    genres = EXCLUDED.genres, album = EXCLUDED.album, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
  WHERE t.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
${mergeCounts("tracks", "t.id = i.id")}`,
  users: `
WITH input AS (
  SELECT DISTINCT ON (id) id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at
    FROM stage_users ORDER BY id, updated_at DESC
), upserted AS (
  INSERT INTO users AS u (id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at)
  SELECT * FROM input
  ON CONFLICT (id) DO UPDATE SET
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, email = EXCLUDED.email, gender = EXCLUDED.gender,
    favorite_genres = EXCLUDED.favorite_genres, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
  WHERE u.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
${mergeCounts("users", "t.id = i.id")}`,
  // Histories reach this point only when their user is known (see DatasetIngestor); the foreign key makes sure.
  listen_history: `
WITH input AS (
  SELECT DISTINCT ON (user_id, created_at) user_id, items, created_at, updated_at
    FROM stage_listen_history ORDER BY user_id, created_at, updated_at DESC
), upserted AS (
  INSERT INTO listen_history AS h (user_id, items, created_at, updated_at)
  SELECT * FROM input
  ON CONFLICT (user_id, created_at) DO UPDATE SET items = EXCLUDED.items, updated_at = EXCLUDED.updated_at, loaded_at = now()
  WHERE h.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
${mergeCounts("listen_history", "t.user_id = i.user_id AND t.created_at = i.created_at")}`,
};

/** The staged records' keys, as arrays in one `ingest_read_keys` row. */
const STAGED_KEYS: Record<Dataset, string> = {
  tracks: "SELECT array_agg(id), '{}'::timestamptz[] FROM stage_tracks",
  users: "SELECT array_agg(id), '{}'::timestamptz[] FROM stage_users",
  listen_history: "SELECT array_agg(user_id), array_agg(created_at) FROM stage_listen_history",
};

const INSERT_READ_KEYS = `INSERT INTO ingest_read_keys (run_id, dataset, try_number, pass, ids, created_ats)`;

/** Records the keys of a batch's valid records: those staged, and the histories waiting for their user. */
async function recordReadKeys(client: pg.ClientBase, runId: number, dataset: Dataset, read: ReadOf, staged: boolean, rejected: Rejected[]) {
  const params = [runId, dataset, read.tryNumber, read.pass];
  if (staged) await client.query(`${INSERT_READ_KEYS} SELECT $1, $2, $3, $4, k.* FROM (${STAGED_KEYS[dataset]}) AS k`, params);
  const waiting = rejected.flatMap((r) => (r.reasonCode === "unknown_user" ? [r.payload] : []));
  if (waiting.length === 0) return;
  await client.query(`${INSERT_READ_KEYS} VALUES ($1, $2, $3, $4, $5::int[], $6::timestamptz[])`, [
    ...params,
    waiting.map((h) => h.user_id),
    waiting.map((h) => h.created_at),
  ]);
}

const INSERT_QUARANTINE = `
INSERT INTO quarantine (run_id, dataset, reason_code, reason, record_key, payload)
SELECT $1, $2, reason_code, reason, record_key, payload
  FROM json_to_recordset($3::json) AS r(reason_code text, reason text, record_key text, payload text)`;

export async function quarantine(client: pg.ClientBase, runId: number, dataset: Dataset, rejected: Rejected[]) {
  if (rejected.length === 0) return;
  const rows = rejected.map((r) => ({ reason_code: r.reasonCode, reason: r.reason, record_key: r.key, payload: JSON.stringify(r.payload) }));
  await client.query(INSERT_QUARANTINE, [runId, dataset, JSON.stringify(rows)]);
}

/**
 * One batch, loaded as it is read: with its first valid records a transaction opens and COPY into
 * the staging table starts, each page's COPY text streams into it as it comes, and `commit` merges
 * the staged records, quarantines the rejected ones and (with `read`) records the valid records'
 * keys, all in that one transaction: a crash never leaves half a batch. What the batch holds in
 * memory is what the connection has not yet taken, however large the batch.
 */
export class OpenBatch {
  private readonly copyText = new PassThrough();
  private copied: Promise<{ client: pg.PoolClient; staged: number }> | undefined;
  private failure: unknown;
  private draining: Promise<void> | undefined;
  private readonly rejected: Rejected[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly dataset: Dataset,
  ) {
    // A failed COPY is reported by commit (and the next write); the stream's own error event would end the process.
    this.copyText.on("error", () => undefined);
  }

  /** Records quarantined with this batch. */
  reject(record: Rejected): void {
    this.rejected.push(record);
  }

  /** Streams valid records' COPY lines; false when the connection is behind, as a stream's write. */
  write(lines: Buffer): boolean {
    if (this.failure !== undefined) throw this.failure;
    this.copied ??= this.copy();
    return this.copyText.write(lines);
  }

  /**
   * Resolves when the connection has taken what was written, or the batch ended (committed or failed:
   * commit tells). Pages waiting at once share one wait, so the stream holds one set of listeners.
   */
  drained(): Promise<void> {
    const text = this.copyText;
    if (this.failure !== undefined || !text.writableNeedDrain || text.writableEnded) return Promise.resolve();
    this.draining ??= new Promise<void>((resolve) => {
      // An ended stream emits no drain: its end is awaited instead.
      let waiting = true;
      const done = () => {
        if (!waiting) return;
        waiting = false;
        for (const event of ["drain", "finish", "close"]) text.off(event, done);
        this.draining = undefined;
        resolve();
      };
      for (const event of ["drain", "finish", "close"]) text.once(event, done);
      this.copied?.catch(done);
    });
    return this.draining;
  }

  private async copy(): Promise<{ client: pg.PoolClient; staged: number }> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      if (this.dataset === "listen_history") {
        // Index entries of `items` queue in GIN's pending list, merged in bulk later (autovacuum): about 2x faster loads.
        await client.query("SET LOCAL gin_pending_list_limit = '256MB'");
        // A batch that finds the list full merges it, sorting in work_mem: 9 s instead of 13-16 s at 20 M listens.
        await client.query("SET LOCAL work_mem = '256MB'");
        // Listens per track are folded once the task's batches are in (see the listen_history task).
        await deferListenCounts(client);
      }
      await client.query(STAGING[this.dataset]);
      const copy = copyFrom(`COPY stage_${this.dataset} FROM STDIN`);
      await pipeline(this.copyText, client.query(copy));
      return { client, staged: copy.rowCount };
    } catch (error) {
      this.failure ??= error;
      // The connection may be mid-COPY: closed rather than handed back to the pool.
      client.release(true);
      throw error;
    }
  }

  async commit(runId: number, read?: ReadOf): Promise<BatchResult> {
    this.copyText.end();
    const started = this.copied !== undefined;
    const { client, staged } = started ? await this.copied! : { client: await this.pool.connect(), staged: 0 };
    try {
      if (!started) await client.query("BEGIN");
      const counted: Counted = started ? (await client.query<Counted>(MERGES[this.dataset])).rows[0]! : { inserted: "0", updated: "0", backwards: "0" };
      await quarantine(client, runId, this.dataset, this.rejected);
      if (read) await recordReadKeys(client, runId, this.dataset, read, started, this.rejected);
      await client.query("COMMIT");
      client.release();
      const inserted = Number(counted.inserted);
      const updated = Number(counted.updated);
      return { inserted, updated, unchanged: staged - inserted - updated, backwards: Number(counted.backwards), quarantined: this.rejected.length };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(true);
      throw error;
    }
  }

  /** Gives the batch up (its read failed): its transaction rolls back and its connection closes. */
  async abandon(): Promise<void> {
    this.failure ??= new Error("batch abandoned");
    this.copyText.destroy();
    await this.copied?.then(({ client }) => client.release(true)).catch(() => undefined);
  }
}

/** Loads one batch whose COPY text (`copyLine`s, in chunks of any size) is at hand, as OpenBatch does. */
export async function loadBatch(pool: pg.Pool, runId: number, dataset: Dataset, copyText: Buffer[], rejected: Rejected[], read?: ReadOf): Promise<BatchResult> {
  const batch = new OpenBatch(pool, dataset);
  for (const chunk of copyText) batch.write(chunk);
  for (const record of rejected) batch.reject(record);
  return batch.commit(runId, read);
}
