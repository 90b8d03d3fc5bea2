import type pg from "pg";
import type { Dataset, ListenHistoryRecord, TrackRecord, UserRecord } from "./records";

export interface Rejected {
  reasonCode: "invalid" | "unknown_user";
  reason: string;
  key: string | null;
  payload: unknown;
}

export interface BatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** track ids in loaded histories that are not in `tracks` */
  orphanItems: number;
}

type Counted = { inserted: string; updated: string };

// A row is rewritten only when the source's updated_at is newer; (xmax = 0) tells inserts from updates.
const UPSERT_TRACKS = `
WITH upserted AS (
  INSERT INTO tracks AS t (id, name, artist, songwriters, duration, genres, album, created_at, updated_at)
  SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
  ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, artist = EXCLUDED.artist, songwriters = EXCLUDED.songwriters, duration = EXCLUDED.duration,
    genres = EXCLUDED.genres, album = EXCLUDED.album, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
  WHERE t.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted`;

const UPSERT_USERS = `
WITH upserted AS (
  INSERT INTO users AS u (id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at)
  SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
  ON CONFLICT (id) DO UPDATE SET
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, email = EXCLUDED.email, gender = EXCLUDED.gender,
    favorite_genres = EXCLUDED.favorite_genres, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
  WHERE u.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted`;

// Items travel as array literals ('{1,2,3}') because unnest cannot take ragged int[][].
const UPSERT_HISTORIES = `
WITH upserted AS (
  INSERT INTO listen_history AS h (user_id, items, created_at, updated_at)
  SELECT user_id, items::int[], created_at, updated_at
    FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS s(user_id, items, created_at, updated_at)
  ON CONFLICT (user_id, created_at) DO UPDATE SET items = EXCLUDED.items, updated_at = EXCLUDED.updated_at
  WHERE h.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted`;

const INSERT_QUARANTINE = `
INSERT INTO quarantine (run_id, dataset, reason_code, reason, record_key, payload)
SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::jsonb[])`;

/** Within one batch the same key can come twice (a record repeated across pages); the newest wins. */
function newestByKey<T extends { updated_at: string }>(records: T[], key: (r: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const record of records) {
    const k = key(record);
    const current = byKey.get(k);
    if (!current || Date.parse(current.updated_at) <= Date.parse(record.updated_at)) byKey.set(k, record);
  }
  return [...byKey.values()];
}

async function upsert(client: pg.ClientBase, dataset: Dataset, records: (TrackRecord | UserRecord | ListenHistoryRecord)[]) {
  if (records.length === 0) return { inserted: 0, updated: 0 };
  let result: pg.QueryResult<Counted>;
  if (dataset === "tracks") {
    const rows = records as TrackRecord[];
    result = await client.query<Counted>(UPSERT_TRACKS, [
      rows.map((r) => r.id), rows.map((r) => r.name), rows.map((r) => r.artist), rows.map((r) => r.songwriters),
      rows.map((r) => r.duration), rows.map((r) => r.genres), rows.map((r) => r.album), rows.map((r) => r.created_at), rows.map((r) => r.updated_at),
    ]);
  } else if (dataset === "users") {
    const rows = records as UserRecord[];
    result = await client.query<Counted>(UPSERT_USERS, [
      rows.map((r) => r.id), rows.map((r) => r.first_name), rows.map((r) => r.last_name), rows.map((r) => r.email),
      rows.map((r) => r.gender), rows.map((r) => r.favorite_genres), rows.map((r) => r.created_at), rows.map((r) => r.updated_at),
    ]);
  } else {
    const rows = records as ListenHistoryRecord[];
    result = await client.query<Counted>(UPSERT_HISTORIES, [
      rows.map((r) => r.user_id), rows.map((r) => `{${r.items.join(",")}}`), rows.map((r) => r.created_at), rows.map((r) => r.updated_at),
    ]);
  }
  return { inserted: Number(result.rows[0]!.inserted), updated: Number(result.rows[0]!.updated) };
}

export async function quarantine(client: pg.ClientBase, runId: number, dataset: Dataset, rejected: Rejected[]) {
  if (rejected.length === 0) return;
  await client.query(INSERT_QUARANTINE, [
    runId,
    dataset,
    rejected.map((r) => r.reasonCode),
    rejected.map((r) => r.reason),
    rejected.map((r) => r.key),
    rejected.map((r) => JSON.stringify(r.payload ?? null)),
  ]);
}

/** Histories whose user is not in `users` yet: they wait in quarantine. */
async function splitByKnownUser(client: pg.ClientBase, histories: ListenHistoryRecord[]) {
  const userIds = [...new Set(histories.map((h) => h.user_id))];
  const { rows } = await client.query<{ id: number }>(`SELECT id FROM users WHERE id = ANY($1::int[])`, [userIds]);
  const known = new Set(rows.map((r) => r.id));
  return {
    known: histories.filter((h) => known.has(h.user_id)),
    waiting: histories.filter((h) => !known.has(h.user_id)),
  };
}

async function countOrphans(client: pg.ClientBase, histories: ListenHistoryRecord[]): Promise<number> {
  if (histories.length === 0) return 0;
  const { rows } = await client.query<{ orphans: string }>(
    `SELECT count(*) AS orphans FROM unnest($1::int[]) AS i(id) WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.id = i.id)`,
    [histories.flatMap((h) => h.items)],
  );
  return Number(rows[0]!.orphans);
}

/**
 * Loads one batch in one transaction: the upsert of the valid records and the quarantine of the
 * rejected ones commit together or not at all, so a crash never leaves half a batch.
 */
export async function loadBatch(
  pool: pg.Pool,
  runId: number,
  dataset: Dataset,
  valid: (TrackRecord | UserRecord | ListenHistoryRecord)[],
  rejected: Rejected[],
  keyOf: (record: TrackRecord | UserRecord | ListenHistoryRecord) => string,
): Promise<BatchResult> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const unique = newestByKey(valid, keyOf);
    let toLoad = unique;
    const toQuarantine = [...rejected];
    let orphanItems = 0;
    if (dataset === "listen_history") {
      const { known, waiting } = await splitByKnownUser(client, unique as ListenHistoryRecord[]);
      toLoad = known;
      for (const h of waiting) {
        toQuarantine.push({ reasonCode: "unknown_user", reason: `user ${h.user_id} is not in users (yet)`, key: keyOf(h), payload: h });
      }
      orphanItems = await countOrphans(client, known);
    }
    const { inserted, updated } = await upsert(client, dataset, toLoad);
    await quarantine(client, runId, dataset, toQuarantine);
    await client.query("COMMIT");
    return {
      inserted,
      updated,
      unchanged: toLoad.length - inserted - updated + (valid.length - unique.length),
      quarantined: toQuarantine.length,
      orphanItems,
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
