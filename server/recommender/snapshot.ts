import type { Database } from "../db/client";
import type { TrainSnapshot } from "../db/generated/client";
import { VANISHED_KEY } from "../ingestion/vanished";
import type { ObjectStore } from "../storage/store";
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

/** Reads the tables into a snapshot (no file yet). */
export async function readSnapshot(database: Database): Promise<Snapshot> {
  const { pool } = database;
  const [tracks, users, histories] = await Promise.all([
    pool.query<{ id: number; name: string; artist: string; genres: string }>(
      `SELECT id, name, artist, genres FROM tracks t WHERE ${present("tracks")} ORDER BY id`,
    ),
    pool.query<{ id: number; favorite_genres: string }>(`SELECT id, favorite_genres FROM users t WHERE ${present("users")} ORDER BY id`),
    // Items as text: parsing 100,000s of int[] values through pg's array parser costs more than split(",").
    pool.query<{ user_id: number; at: number; items: string }>(
      `SELECT user_id, (extract(epoch FROM created_at) * 1000)::float8 AS at, array_to_string(items, ',') AS items
         FROM listen_history t WHERE ${present("listen_history")} ORDER BY user_id, created_at`,
    ),
  ]);
  const trackIds = Int32Array.from(tracks.rows, (r) => r.id);
  const userIds = Int32Array.from(users.rows, (r) => r.id);
  const trackIndex = new Map<number, number>();
  trackIds.forEach((id, i) => trackIndex.set(id, i));
  const userIndex = new Map<number, number>();
  userIds.forEach((id, i) => userIndex.set(id, i));

  let capacity = 0;
  for (const h of histories.rows) capacity += h.items === "" ? 0 : h.items.split(",").length;
  const listenUser = new Int32Array(capacity);
  const listenTrack = new Int32Array(capacity);
  const listenTime = new Float64Array(capacity);
  let n = 0;
  for (const h of histories.rows) {
    const user = userIndex.get(h.user_id);
    if (user === undefined || h.items === "") continue;
    for (const item of h.items.split(",")) {
      const track = trackIndex.get(Number(item));
      if (track === undefined) continue;
      listenUser[n] = user;
      listenTrack[n] = track;
      listenTime[n] = Number(h.at);
      n++;
    }
  }
  return {
    userIds,
    trackIds,
    listenUser: listenUser.slice(0, n),
    listenTrack: listenTrack.slice(0, n),
    listenTime: listenTime.slice(0, n),
    tracks: { name: tracks.rows.map((t) => t.name), artist: tracks.rows.map((t) => t.artist), genres: tracks.rows.map((t) => genreList(t.genres)) },
    users: { favoriteGenres: users.rows.map((u) => genreList(u.favorite_genres)) },
  };
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
export async function takeSnapshot(database: Database, store: ObjectStore, runId: number | null): Promise<{ row: TrainSnapshot; snapshot: Snapshot }> {
  const snapshot = await readSnapshot(database);
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
