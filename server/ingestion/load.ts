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
}

type AnyRecord = TrackRecord | UserRecord | ListenHistoryRecord;

/** A valid record with its natural key, computed once when it was validated. */
export interface Keyed {
  key: string;
  record: AnyRecord;
}
type Counted = { inserted: string; updated: string };

const COUNT_UPSERTED = "SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted";

// Batches travel as one JSON parameter: PostgreSQL parses it faster than pg serialises arrays.
// A row is rewritten only when the source's updated_at is newer; (xmax = 0) tells inserts from updates.
const UPSERTS: Record<Dataset, string> = {
  tracks: `
WITH upserted AS (
  INSERT INTO tracks AS t (id, name, artist, songwriters, duration, genres, album, created_at, updated_at)
  SELECT id, name, artist, songwriters, duration, genres, album, created_at, updated_at
    FROM json_to_recordset($1::json) AS r(id int, name text, artist text, songwriters text, duration text, genres text, album text, created_at timestamptz, updated_at timestamptz)
  ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, artist = EXCLUDED.artist, songwriters = EXCLUDED.songwriters, duration = EXCLUDED.duration,
    genres = EXCLUDED.genres, album = EXCLUDED.album, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
  WHERE t.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
${COUNT_UPSERTED}`,
  users: `
WITH upserted AS (
  INSERT INTO users AS u (id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at)
  SELECT id, first_name, last_name, email, gender, favorite_genres, created_at, updated_at
    FROM json_to_recordset($1::json) AS r(id int, first_name text, last_name text, email text, gender text, favorite_genres text, created_at timestamptz, updated_at timestamptz)
  ON CONFLICT (id) DO UPDATE SET
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, email = EXCLUDED.email, gender = EXCLUDED.gender,
    favorite_genres = EXCLUDED.favorite_genres, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
  WHERE u.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
${COUNT_UPSERTED}`,
  listen_history: `
WITH upserted AS (
  INSERT INTO listen_history AS h (user_id, items, created_at, updated_at)
  SELECT user_id, items, created_at, updated_at
    FROM json_to_recordset($1::json) AS r(user_id int, items int[], created_at timestamptz, updated_at timestamptz)
  ON CONFLICT (user_id, created_at) DO UPDATE SET items = EXCLUDED.items, updated_at = EXCLUDED.updated_at
  WHERE h.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted
)
${COUNT_UPSERTED}`,
};

const INSERT_QUARANTINE = `
INSERT INTO quarantine (run_id, dataset, reason_code, reason, record_key, payload)
SELECT $1, $2, reason_code, reason, record_key, payload
  FROM json_to_recordset($3::json) AS r(reason_code text, reason text, record_key text, payload jsonb)`;

/**
 * Within one batch the same key can come twice (a record repeated across pages); the newest wins.
 * Sorted by key, so batches written at once lock rows in the same order and cannot deadlock.
 */
function newestByKey(records: Keyed[]): Keyed[] {
  const byKey = new Map<string, Keyed>();
  for (const keyed of records) {
    const current = byKey.get(keyed.key);
    if (!current || Date.parse(current.record.updated_at) <= Date.parse(keyed.record.updated_at)) byKey.set(keyed.key, keyed);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function quarantine(client: pg.ClientBase, runId: number, dataset: Dataset, rejected: Rejected[]) {
  if (rejected.length === 0) return;
  const rows = rejected.map((r) => ({ reason_code: r.reasonCode, reason: r.reason, record_key: r.key, payload: r.payload ?? null }));
  await client.query(INSERT_QUARANTINE, [runId, dataset, JSON.stringify(rows)]);
}

/** Histories whose user is not in `users` yet: they wait in quarantine. */
async function splitByKnownUser(client: pg.ClientBase, histories: Keyed[]) {
  const userOf = (h: Keyed) => (h.record as ListenHistoryRecord).user_id;
  const userIds = [...new Set(histories.map(userOf))];
  const { rows } = await client.query<{ id: number }>(`SELECT id FROM users WHERE id = ANY($1::int[])`, [userIds]);
  const known = new Set(rows.map((r) => r.id));
  return {
    known: histories.filter((h) => known.has(userOf(h))),
    waiting: histories.filter((h) => !known.has(userOf(h))),
  };
}

/**
 * Loads one batch in one transaction: the upsert of the valid records and the quarantine of the
 * rejected ones commit together or not at all, so a crash never leaves half a batch.
 */
export async function loadBatch(
  pool: pg.Pool,
  runId: number,
  dataset: Dataset,
  valid: Keyed[],
  rejected: Rejected[],
): Promise<BatchResult> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Index entries of `items` queue in GIN's pending list, merged in bulk later (autovacuum): about 2x faster loads.
    if (dataset === "listen_history") await client.query("SET LOCAL gin_pending_list_limit = '256MB'");
    const unique = newestByKey(valid);
    let toLoad = unique;
    const toQuarantine = [...rejected];
    if (dataset === "listen_history") {
      const { known, waiting } = await splitByKnownUser(client, unique);
      toLoad = known;
      for (const h of waiting) {
        const reason = `user ${(h.record as ListenHistoryRecord).user_id} is not in users (yet)`;
        toQuarantine.push({ reasonCode: "unknown_user", reason, key: h.key, payload: h.record });
      }
    }
    let counted: Counted = { inserted: "0", updated: "0" };
    if (toLoad.length > 0) counted = (await client.query<Counted>(UPSERTS[dataset], [JSON.stringify(toLoad.map((k) => k.record))])).rows[0]!;
    await quarantine(client, runId, dataset, toQuarantine);
    await client.query("COMMIT");
    const inserted = Number(counted.inserted);
    const updated = Number(counted.updated);
    return {
      inserted,
      updated,
      unchanged: toLoad.length - inserted - updated + (valid.length - unique.length),
      quarantined: toQuarantine.length,
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
