import type { ColumnSource } from "hyparquet-writer";
import type { Database } from "../../db/client";
import type { TrainSnapshot } from "../../db/generated/client";
import type { ObjectStore } from "../../storage/store";
import type { Csr } from "../csr";
import { loadSnapshot, type Snapshot } from "../snapshot";
import { HOLDOUT_SHARE, holdOut, listensOf, MIN_TRACKS_TO_HOLD_OUT } from "../split";
import { EXPORT_FILES, EXPORT_SCHEMA, type ExportManifest } from "./contract";
import { column, putParquet, schemaOf } from "./parquet";

/** Rows per row group: a group is what memory holds while writing, and what a reader fetches at once. */
export const ROWS_PER_GROUP = 262_144;

export const LISTENS_SCHEMA = schemaOf([column.int32("user_id"), column.int32("track_id"), column.timestampUtc("listened_at"), column.boolean("held_out")]);
export const TRACKS_SCHEMA = schemaOf([
  column.int32("track_id"),
  column.string("name"),
  column.string("artist"),
  column.list("genres", column.string("element")),
]);
export const USERS_SCHEMA = schemaOf([column.int32("user_id"), column.list("favorite_genres", column.string("element"))]);

/** `prefix/name`, or `name` alone at the store's root. */
export const keyIn = (prefix: string, name: string) => (prefix ? `${prefix.replace(/\/+$/, "")}/${name}` : name);

/** Per listen, 1 when its track is held out of its user's training for the test split (listens are sorted by user). */
export function heldOutListens(snapshot: Snapshot, test: Csr): Uint8Array {
  const flags = new Uint8Array(snapshot.listenUser.length);
  const held = new Set<number>();
  let user = -1;
  for (let i = 0; i < flags.length; i++) {
    if (snapshot.listenUser[i] !== user) {
      user = snapshot.listenUser[i]!;
      held.clear();
      for (let p = test.indptr[user]!; p < test.indptr[user + 1]!; p++) held.add(test.indices[p]!);
    }
    if (held.has(snapshot.listenTrack[i]!)) flags[i] = 1;
  }
  return flags;
}

function* listenGroups(snapshot: Snapshot, heldOut: Uint8Array): Generator<ColumnSource[]> {
  for (let start = 0; start < snapshot.listenUser.length; start += ROWS_PER_GROUP) {
    const end = Math.min(start + ROWS_PER_GROUP, snapshot.listenUser.length);
    const userId = new Int32Array(end - start);
    const trackId = new Int32Array(end - start);
    const micros = new Float64Array(end - start);
    const held: boolean[] = new Array(end - start);
    for (let i = start; i < end; i++) {
      userId[i - start] = snapshot.userIds[snapshot.listenUser[i]!]!;
      trackId[i - start] = snapshot.trackIds[snapshot.listenTrack[i]!]!;
      // A record's created_at may carry microseconds: the timestamp keeps them.
      micros[i - start] = Math.round(snapshot.listenTime[i]! * 1000);
      held[i - start] = heldOut[i] === 1;
    }
    yield [
      { name: "user_id", data: userId },
      { name: "track_id", data: trackId },
      { name: "listened_at", data: micros },
      { name: "held_out", data: held },
    ];
  }
}

function* trackGroups(snapshot: Snapshot): Generator<ColumnSource[]> {
  for (let start = 0; start < snapshot.trackIds.length; start += ROWS_PER_GROUP) {
    const end = Math.min(start + ROWS_PER_GROUP, snapshot.trackIds.length);
    yield [
      { name: "track_id", data: snapshot.trackIds.subarray(start, end) },
      { name: "name", data: snapshot.tracks.name.slice(start, end) },
      { name: "artist", data: snapshot.tracks.artist.slice(start, end) },
      { name: "genres", data: snapshot.tracks.genres.slice(start, end) },
    ];
  }
}

function* userGroups(snapshot: Snapshot): Generator<ColumnSource[]> {
  for (let start = 0; start < snapshot.userIds.length; start += ROWS_PER_GROUP) {
    const end = Math.min(start + ROWS_PER_GROUP, snapshot.userIds.length);
    yield [
      { name: "user_id", data: snapshot.userIds.subarray(start, end) },
      { name: "favorite_genres", data: snapshot.users.favoriteGenres.slice(start, end) },
    ];
  }
}

export const SPLIT_RULE =
  "per user with at least 5 distinct tracks: order their tracks by first listen (ties in an order drawn with the seed), hold out the last 20% (at least 1) with every listen of them; held_out marks those listens. Users with fewer than 5 tracks are never held out.";
export const EVALUATION_RULE =
  "for each user with held-out tracks (at most 5,000, drawn evenly with the seed): score every track, drop the user's training tracks, compare the top 20 with the held-out tracks; precision, recall, NDCG, MAP, hit rate at 10 and 20 (server/recommender/ranking-metrics.ts).";

/**
 * Writes a recorded snapshot as Parquet (listens with the test split marked, tracks, users) and a
 * manifest under `prefix` in `store`, row group by row group. The snapshot's file is read back and
 * checked against its digest first, so the export is exactly what a train run learns from.
 */
export async function exportSnapshot(
  database: Database,
  snapshotStore: ObjectStore,
  snapshotId: number,
  out: { store: ObjectStore; prefix: string },
  seed: number,
): Promise<ExportManifest> {
  const { row, snapshot } = await loadSnapshot(database, snapshotStore, snapshotId);
  return writeExport(row, snapshot, out, seed);
}

/** The export's files and manifest from a snapshot in memory and its row. */
export async function writeExport(
  row: Pick<TrainSnapshot, "id" | "digest" | "createdAt" | "newestListenAt" | "ingestionRunId">,
  snapshot: Snapshot,
  out: { store: ObjectStore; prefix: string },
  seed: number,
): Promise<ExportManifest> {
  // The same call the train session makes, so held_out is Encore's test split for this seed.
  const { test } = holdOut(listensOf(snapshot), snapshot.userIds.length, snapshot.trackIds.length, seed);
  const heldOut = heldOutListens(snapshot, test);
  let testUsers = 0;
  for (let u = 0; u < test.rows; u++) if (test.indptr[u + 1]! > test.indptr[u]!) testUsers++;
  const put = async (name: string, schema: typeof LISTENS_SCHEMA, groups: Iterable<ColumnSource[]>) => {
    const written = await putParquet(out.store, keyIn(out.prefix, name), schema, groups);
    return { path: name, ...written };
  };
  const files = {
    listens: await put(EXPORT_FILES.listens, LISTENS_SCHEMA, listenGroups(snapshot, heldOut)),
    tracks: await put(EXPORT_FILES.tracks, TRACKS_SCHEMA, trackGroups(snapshot)),
    users: await put(EXPORT_FILES.users, USERS_SCHEMA, userGroups(snapshot)),
  };
  const manifest: ExportManifest = {
    schema: EXPORT_SCHEMA,
    snapshot: {
      id: row.id,
      digest: row.digest,
      created_at: row.createdAt.toISOString(),
      newest_listen_at: row.newestListenAt?.toISOString() ?? null,
      ingestion_run_id: row.ingestionRunId,
    },
    exported_at: new Date().toISOString(),
    files,
    split: {
      seed,
      rule: SPLIT_RULE,
      holdout_share: HOLDOUT_SHARE,
      min_tracks_to_hold_out: MIN_TRACKS_TO_HOLD_OUT,
      held_out_listens: heldOut.reduce((n, h) => n + h, 0),
      test_users: testUsers,
      evaluation: EVALUATION_RULE,
    },
  };
  // The manifest last: its presence says the export is whole.
  await out.store.put(keyIn(out.prefix, EXPORT_FILES.manifest), [Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)]);
  return manifest;
}
