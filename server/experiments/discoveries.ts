import type pg from "pg";

const WATERMARK = "discoveries";
/** the newest listening day followed so far: what the analysis reads up to (no index on `created_at` to find it) */
const NEWEST = "newest_listen";

export interface DiscoveriesRefresh {
  /** history rows written by the load since the last refresh */
  rows: number;
  /** (listener, track) pairs heard for the first time, or earlier than known */
  firstListens: number;
  /** the newest `created_at` of the listening followed, null before any */
  newestListen: Date | null;
}

/**
 * Brings `heard_tracks` (first listen per listener and track) and `discoveries` (tracks first heard
 * per listener and day) up to date with the history rows the load wrote since the last refresh,
 * in one transaction with the watermark, so a crash leaves both as they were and the next refresh
 * redoes the work. Late rows move a first listen earlier: it leaves the later day's discoveries.
 * A listen the source later withdraws stays heard.
 */
export async function refreshDiscoveries(pool: pg.Pool): Promise<DiscoveriesRefresh> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("INSERT INTO watermarks (name, at) VALUES ($1, '-infinity') ON CONFLICT (name) DO NOTHING", [WATERMARK]);
    // The row lock makes concurrent refreshes take turns.
    const { rows: marks } = await client.query<{ from: Date; next: Date }>(
      // Rows of a load still in flight carry its start time (now()) and show only once it commits, so
      // the next refresh starts no later than the oldest transaction open now.
      `SELECT w.at AS from,
              least(now(), (SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid())) AS next
         FROM watermarks w WHERE w.name = $1 FOR UPDATE`,
      [WATERMARK],
    );
    const { from, next } = marks[0]!;
    await client.query(
      `CREATE TEMP TABLE first_listens_seen ON COMMIT DROP AS
       SELECT h.user_id, item AS track_id, min(h.created_at) AS heard_at
         FROM listen_history h, unnest(h.items) AS item WHERE h.loaded_at >= $1 GROUP BY h.user_id, item`,
      [from],
    );
    await client.query("ANALYZE first_listens_seen");
    const { rows: counted } = await client.query<{ rows: string }>("SELECT count(*) AS rows FROM listen_history WHERE loaded_at >= $1", [from]);
    await client.query(
      `CREATE TEMP TABLE first_listens_moved ON COMMIT DROP AS
       SELECT s.user_id, s.track_id, s.heard_at, t.first_heard_at AS was
         FROM first_listens_seen s LEFT JOIN heard_tracks t ON t.user_id = s.user_id AND t.track_id = s.track_id
        WHERE t.first_heard_at IS NULL OR s.heard_at < t.first_heard_at`,
    );
    await client.query("ANALYZE first_listens_moved");
    // New pairs are inserted in key order and moved ones updated: about twice as fast as one upsert.
    const added = await client.query(
      "INSERT INTO heard_tracks (user_id, track_id, first_heard_at) SELECT user_id, track_id, heard_at FROM first_listens_moved WHERE was IS NULL ORDER BY user_id, track_id",
    );
    const moved = await client.query(
      `UPDATE heard_tracks t SET first_heard_at = m.heard_at FROM first_listens_moved m
        WHERE m.was IS NOT NULL AND t.user_id = m.user_id AND t.track_id = m.track_id`,
    );
    await client.query(
      `UPDATE discoveries d SET track_ids = ARRAY(SELECT unnest(d.track_ids) EXCEPT SELECT unnest(m.track_ids) ORDER BY 1)
         FROM (SELECT user_id, was, array_agg(track_id) AS track_ids FROM first_listens_moved WHERE was IS NOT NULL GROUP BY user_id, was) m
        WHERE d.user_id = m.user_id AND d.heard_on = m.was`,
    );
    await client.query(
      `DELETE FROM discoveries d USING first_listens_moved m
        WHERE m.was IS NOT NULL AND d.user_id = m.user_id AND d.heard_on = m.was AND cardinality(d.track_ids) = 0`,
    );
    await client.query(
      `INSERT INTO discoveries (user_id, heard_on, track_ids)
       SELECT user_id, heard_at, array_agg(track_id ORDER BY track_id) FROM first_listens_moved GROUP BY user_id, heard_at ORDER BY user_id, heard_at
       ON CONFLICT (user_id, heard_on) DO UPDATE SET track_ids = discoveries.track_ids || EXCLUDED.track_ids`,
    );
    await client.query("UPDATE watermarks SET at = $2 WHERE name = $1", [WATERMARK, next]);
    await client.query(
      `INSERT INTO watermarks (name, at) SELECT $1, max(heard_at) FROM first_listens_seen HAVING max(heard_at) IS NOT NULL
       ON CONFLICT (name) DO UPDATE SET at = greatest(watermarks.at, EXCLUDED.at)`,
      [NEWEST],
    );
    await client.query("COMMIT");
    const { newestListen } = await followedListening(pool);
    return { rows: Number(counted[0]!.rows), firstListens: (added.rowCount ?? 0) + (moved.rowCount ?? 0), newestListen };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** How far the discoveries have followed the listening: the newest listening day, and when (null before the first refresh). */
export async function followedListening(pool: pg.Pool): Promise<{ newestListen: Date | null; followedAt: Date | null }> {
  const { rows } = await pool.query<{ name: string; at: Date }>("SELECT name, at FROM watermarks WHERE name = ANY($1)", [[WATERMARK, NEWEST]]);
  const at = (name: string) => rows.find((r) => r.name === name)?.at ?? null;
  return { newestListen: at(NEWEST), followedAt: at(WATERMARK) };
}
