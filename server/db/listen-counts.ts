import type pg from "pg";
import { inTransaction } from "./transaction";

/**
 * Within the caller's transaction: listen_history's changes go to track_listen_count_deltas instead
 * of track_listen_counts, until `foldListenCounts`. For a load of many statements, each naming most
 * of the catalogue (migration 20261202220000).
 */
export async function deferListenCounts(client: pg.ClientBase): Promise<void> {
  await client.query("SET LOCAL encore.listen_counts = 'deferred'");
}

/**
 * Moves every delta into track_listen_counts. The table lock waits for loads still writing deltas
 * and holds off new ones until the fold commits; TRUNCATE, rather than DELETE, because a first
 * load leaves millions of deltas (8 M at 500,000 tracks). Returns how many tracks' counts changed.
 */
export function foldListenCounts(pool: pg.Pool): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query("LOCK TABLE track_listen_count_deltas IN ACCESS EXCLUSIVE MODE");
    const { rowCount } = await client.query(
      `INSERT INTO track_listen_counts AS c (track_id, listens)
       SELECT track_id, sum(delta) FROM track_listen_count_deltas GROUP BY track_id HAVING sum(delta) <> 0 ORDER BY track_id
       ON CONFLICT (track_id) DO UPDATE SET listens = c.listens + EXCLUDED.listens`,
    );
    await client.query("TRUNCATE track_listen_count_deltas");
    return rowCount ?? 0;
  });
}
