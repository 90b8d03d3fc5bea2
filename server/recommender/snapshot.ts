import type { Database } from "../db/client";
import type { TrainSnapshot } from "../db/generated/client";
import { VANISHED_KEY } from "../ingestion/vanished";
import type { ObjectStore } from "../storage/store";
import { copyOut } from "../db/copy-out";
import { Growable } from "../lib/growable";
import { encodeBinary, readVerified, writeContentAddressed, type EncodedBinary } from "./binary";

/**
 * What a train run learns from. Users and tracks are indexed by their position in the sorted id
 * arrays; listens are (user index, track index, time) sorted by user then time, one per item of a
 * history record (repeated listens count). Tracks and users the source no longer serves are left out,
 * and so are items naming them.
 */
export interface Snapshot {
  userIds: Int32Array;
  trackIds: Int32Array;
  listenUser: Int32Array;
  listenTrack: Int32Array;
  /** ms since the epoch, the history record's created_at */
  listenTime: Float64Array;
  tracks: { name: string[]; artist: string[]; genres: string[][] };
  users: { favoriteGenres: string[][] };
}

interface SnapshotMeta {
  version: 1;
  tracks: Snapshot["tracks"];
  users: Snapshot["users"];
}

/** SQL: the row `t` of `dataset` has not vanished from the source. */
export const present = (dataset: "tracks" | "users" | "listen_history") =>
  `NOT EXISTS (SELECT 1 FROM source_vanished v WHERE v.dataset = '${dataset}' AND v.record_key = ${VANISHED_KEY[dataset]})`;

/** "Rock, Indie pop" → ["Rock", "Indie pop"] */
export const genreList = (value: string) =>
  value
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g !== "");

/** How much of history one train run reads: training cost follows activity, not all of history. */
export interface SnapshotBounds {
  /** each listener's most recent listens kept; every listener is kept, however quiet lately */
  listensPerUser: number;
}

/**
 * The histories as COPY rows (user, ms since the epoch, items as "1,2,3", how many of its items to
 * keep, the listener's listens in all): each listener's records newest first until `listensPerUser`
 * items, the boundary record cut to its last items, sent oldest first. Items as text: parsing int[]
 * values costs more than split(","). One scan of the table, the listens left out counted from it.
 */
function boundedHistories(listensPerUser: number): string {
  const limit = Math.trunc(listensPerUser);
  return `SELECT user_id, at, items, keep, listens FROM (
      SELECT user_id, created_at, (extract(epoch FROM created_at) * 1000)::float8 AS at, array_to_string(items, ',') AS items,
             ${limit} - (sum(cardinality(items)) OVER newest - cardinality(items)) AS keep,
             sum(cardinality(items)) OVER (PARTITION BY user_id) AS listens
        FROM listen_history t WHERE ${present("listen_history")} AND cardinality(items) > 0
      WINDOW newest AS (PARTITION BY user_id ORDER BY created_at DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ) h WHERE keep > 0 ORDER BY user_id, created_at`;
}

/** Reads the tables into a snapshot (no file yet), the histories streamed; and how many listens the bound left out. */
export async function readSnapshot(database: Database, bounds: SnapshotBounds): Promise<{ snapshot: Snapshot; leftOut: number }> {
  const { pool } = database;
  const [tracks, users] = await Promise.all([
    pool.query<{ id: number; name: string; artist: string; genres: string }>(
      `SELECT id, name, artist, genres FROM tracks t WHERE ${present("tracks")} ORDER BY id`,
    ),
    pool.query<{ id: number; favorite_genres: string }>(`SELECT id, favorite_genres FROM users t WHERE ${present("users")} ORDER BY id`),
  ]);
  const trackIds = Int32Array.from(tracks.rows, (r) => r.id);
  const userIds = Int32Array.from(users.rows, (r) => r.id);
  const trackIndex = new Map<number, number>();
  trackIds.forEach((id, i) => trackIndex.set(id, i));
  const userIndex = new Map<number, number>();
  userIds.forEach((id, i) => userIndex.set(id, i));

  const listenUser = new Growable((n) => new Int32Array(n));
  const listenTrack = new Growable((n) => new Int32Array(n));
  const listenTime = new Growable((n) => new Float64Array(n));
  let read = 0;
  let listens = 0;
  let lastUser: string | null = null;
  await copyOut(database, boundedHistories(bounds.listensPerUser), ([userId, at, text, keep, userListens]) => {
    // Every listener's newest record is sent: their listens in all are counted at their first row.
    if (userId !== lastUser) {
      listens += Number(userListens);
      lastUser = userId!;
    }
    const items = text!.split(",");
    const from = Math.max(0, items.length - Number(keep));
    read += items.length - from;
    const user = userIndex.get(Number(userId));
    if (user === undefined) return;
    for (let i = from; i < items.length; i++) {
      const track = trackIndex.get(Number(items[i]));
      if (track === undefined) continue;
      listenUser.push(user);
      listenTrack.push(track);
      listenTime.push(Number(at));
    }
  });
  const snapshot: Snapshot = {
    userIds,
    trackIds,
    listenUser: listenUser.done(),
    listenTrack: listenTrack.done(),
    listenTime: listenTime.done(),
    tracks: { name: tracks.rows.map((t) => t.name), artist: tracks.rows.map((t) => t.artist), genres: tracks.rows.map((t) => genreList(t.genres)) },
    users: { favoriteGenres: users.rows.map((u) => genreList(u.favorite_genres)) },
  };
  return { snapshot, leftOut: listens - read };
}

export function encodeSnapshot(s: Snapshot): EncodedBinary {
  return encodeBinary<SnapshotMeta>(
    { version: 1, tracks: s.tracks, users: s.users },
    { userIds: s.userIds, trackIds: s.trackIds, listenUser: s.listenUser, listenTrack: s.listenTrack, listenTime: s.listenTime },
  );
}

/** A snapshot's file, streamed from the store and checked against its digest. */
export async function readSnapshotFile(store: ObjectStore, stored: { path: string; digest: string }): Promise<Snapshot> {
  const { meta, arrays } = await readVerified<SnapshotMeta>(store, stored);
  return {
    userIds: arrays.userIds as Int32Array,
    trackIds: arrays.trackIds as Int32Array,
    listenUser: arrays.listenUser as Int32Array,
    listenTrack: arrays.listenTrack as Int32Array,
    listenTime: arrays.listenTime as Float64Array,
    tracks: meta.tracks,
    users: meta.users,
  };
}

/** Distinct tracks each user listened to (listens are sorted by user). */
export function tracksPerUser(s: Snapshot): Int32Array {
  const counts = new Int32Array(s.userIds.length);
  const seen = new Set<number>();
  for (let i = 0; i < s.listenUser.length; i++) {
    if (i > 0 && s.listenUser[i] !== s.listenUser[i - 1]) seen.clear();
    if (!seen.has(s.listenTrack[i]!)) {
      seen.add(s.listenTrack[i]!);
      counts[s.listenUser[i]!]!++;
    }
  }
  return counts;
}

/** Freezes the tables into an object under `snapshots/` in the store and records it with its lineage. */
export async function takeSnapshot(
  database: Database,
  store: ObjectStore,
  runId: number | null,
  bounds: SnapshotBounds,
): Promise<{ row: TrainSnapshot; snapshot: Snapshot }> {
  const { snapshot, leftOut } = await readSnapshot(database, bounds);
  const { location, digest, bytes } = await writeContentAddressed(store, "snapshots", "snap", encodeSnapshot(snapshot));
  const ingestion = await database.db.pipelineRun.findFirst({
    where: { pipeline: "ingest", status: "success" },
    orderBy: { id: "desc" },
    select: { id: true },
  });
  let newest = Number.NEGATIVE_INFINITY;
  for (const t of snapshot.listenTime) if (t > newest) newest = t;
  const row = await database.db.trainSnapshot.create({
    data: {
      runId,
      ingestionRunId: ingestion?.id ?? null,
      newestListenAt: Number.isFinite(newest) ? new Date(newest) : null,
      users: snapshot.userIds.length,
      tracks: snapshot.trackIds.length,
      listens: snapshot.listenUser.length,
      listenLimit: bounds.listensPerUser,
      listensLeftOut: leftOut,
      pairs: tracksPerUser(snapshot).reduce((sum, n) => sum + n, 0),
      digest,
      path: location,
      bytes,
    },
  });
  return { row, snapshot };
}

/** A recorded snapshot, read back and checked against its digest. */
export async function loadSnapshot(database: Database, store: ObjectStore, id: number): Promise<{ row: TrainSnapshot; snapshot: Snapshot }> {
  const row = await database.db.trainSnapshot.findUnique({ where: { id } });
  if (!row) throw new Error(`No snapshot ${id}.`);
  return { row, snapshot: await readSnapshotFile(store, row) };
}
