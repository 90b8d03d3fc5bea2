import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { BinaryCopyWriter, readBinaryCopy } from "../db/copy-binary";
import { ListenerFirstListens } from "./first-listens";

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
 * Brings `discoveries` (the tracks each listener first heard on each day) up to date with the
 * history rows the load wrote since the last refresh, in one transaction with the watermark, so a
 * crash leaves it as it was and the next refresh redoes the work. Late rows move a first listen
 * earlier: it leaves the later day's discoveries. A listen the source later withdraws stays heard.
 *
 * The night's rows and their listeners' discoveries come out in one binary COPY ordered by
 * listener; each listener's changes are worked out on typed arrays (ListenerFirstListens) and go
 * back by COPY through temporary files: PostgreSQL never unnests, groups or joins the (listener,
 * track) pairs one by one, which cost it 2–3 µs of CPU each (5 M a night at 1 M listeners).
 */
export async function refreshDiscoveries(pool: pg.Pool): Promise<DiscoveriesRefresh> {
  const client = await pool.connect();
  const folder = await mkdtemp(path.join(os.tmpdir(), "encore-discoveries-"));
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
    // Room for the hash of the night's listeners and the sort by listener (the default 4 MB sends both to disk).
    await client.query("SET LOCAL work_mem = '256MB'");
    const files = { added: path.join(folder, "added.copy"), replaced: path.join(folder, "replaced.copy") };
    // The night's rows, with statistics of their own: those of listen_history predate the load, and
    // planned from them the read of their listeners' discoveries probes it once per listener.
    await client.query("CREATE TEMP TABLE listening_loaded ON COMMIT DROP AS SELECT user_id, created_at, items FROM listen_history WHERE loaded_at >= $1", [
      from,
    ]);
    await client.query("ANALYZE listening_loaded");
    const followed = await followListeners(client, files);
    if (followed.replaced > 0) {
      await client.query("CREATE TEMP TABLE discoveries_replaced (user_id integer, heard_on timestamptz, track_ids integer[]) ON COMMIT DROP");
      await pipeline(createReadStream(files.replaced), client.query(copyFrom("COPY discoveries_replaced FROM STDIN (FORMAT binary)")));
      await client.query(
        `DELETE FROM discoveries d USING discoveries_replaced r
          WHERE cardinality(r.track_ids) = 0 AND d.user_id = r.user_id AND d.heard_on = r.heard_on`,
      );
      await client.query(
        `UPDATE discoveries d SET track_ids = r.track_ids FROM discoveries_replaced r
          WHERE cardinality(r.track_ids) > 0 AND d.user_id = r.user_id AND d.heard_on = r.heard_on`,
      );
    }
    // Days no row held yet go straight in, in key order as the listeners came: COPY is the cheapest insert.
    await pipeline(createReadStream(files.added), client.query(copyFrom("COPY discoveries (user_id, heard_on, track_ids) FROM STDIN (FORMAT binary)")));
    await client.query("UPDATE watermarks SET at = $2 WHERE name = $1", [WATERMARK, next]);
    if (followed.newest !== null)
      await client.query(
        `INSERT INTO watermarks (name, at) VALUES ($1, timestamptz '2000-01-01 00:00:00+00' + $2::bigint * interval '1 microsecond')
         ON CONFLICT (name) DO UPDATE SET at = greatest(watermarks.at, EXCLUDED.at)`,
        [NEWEST, String(followed.newest)],
      );
    await client.query("COMMIT");
    const { newestListen } = await followedListening(pool);
    return { rows: followed.rows, firstListens: followed.firstListens, newestListen };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Reads the history rows in `listening_loaded` and the discoveries of their listeners,
 * listener by listener, and writes the discoveries rows that change as COPY input: days that had
 * no row to `files.added`, days that had one to `files.replaced` (no tracks: the row goes).
 */
async function followListeners(client: pg.PoolClient, files: { added: string; replaced: string }) {
  const source = client.query(
    copyTo(
      `COPY (SELECT user_id, false AS known, created_at AS at, items AS track_ids FROM listening_loaded
             UNION ALL
             SELECT user_id, true, heard_on, track_ids FROM discoveries WHERE user_id IN (SELECT user_id FROM listening_loaded)
             ORDER BY 1) TO STDOUT (FORMAT binary)`,
    ),
  );
  const added = await open(files.added, "w");
  const replaced = await open(files.replaced, "w");
  const out = {
    added: new BinaryCopyWriter(async (chunk) => void (await added.write(chunk))),
    replaced: new BinaryCopyWriter(async (chunk) => void (await replaced.write(chunk))),
  };
  const listener = new ListenerFirstListens();
  const totals = { rows: 0, firstListens: 0, replaced: 0, newest: null as number | null };
  let current: number | null = null;
  const finish = () => {
    if (current === null) return;
    const userId = current;
    listener.changes((day, tracks, existed) => {
      const writer = existed ? out.replaced : out.added;
      if (existed) totals.replaced++;
      writer.row(3, BinaryCopyWriter.rowBytes(1, 1, [tracks.length]));
      writer.int4(userId);
      writer.timestamp(day);
      writer.int4Array(tracks);
    });
    totals.firstListens += listener.added + listener.moved;
  };
  try {
    await readBinaryCopy(
      source as AsyncIterable<Buffer>,
      (row) => {
        const userId = row.int4(0);
        if (userId !== current) {
          finish();
          current = userId;
          listener.reset();
        }
        const at = row.timestamp(2);
        const count = row.int4Array(3);
        if (row.bool(1)) listener.addKnown(at, row.ints, count);
        else {
          listener.addLoaded(at, row.ints, count);
          totals.rows++;
          if (totals.newest === null || at > totals.newest) totals.newest = at;
        }
      },
      async () => {
        for (const writer of [out.added, out.replaced]) if (writer.pending >= 1 << 20) await writer.drain();
      },
    );
    finish();
    await out.added.end();
    await out.replaced.end();
  } finally {
    await added.close();
    await replaced.close();
  }
  return totals;
}

/** How far the discoveries have followed the listening: the newest listening day, and when (null before the first refresh). */
export async function followedListening(pool: pg.Pool): Promise<{ newestListen: Date | null; followedAt: Date | null }> {
  const { rows } = await pool.query<{ name: string; at: Date }>("SELECT name, at FROM watermarks WHERE name = ANY($1)", [[WATERMARK, NEWEST]]);
  const at = (name: string) => rows.find((r) => r.name === name)?.at ?? null;
  return { newestListen: at(NEWEST), followedAt: at(WATERMARK) };
}
