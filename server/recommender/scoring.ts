import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import type { Database } from "../db/client";
import { copyField } from "../ingestion/load";
import { env } from "../config/env";
import { retrieve, scoreOn, type Scoring } from "./candidates";
import type { Csr } from "./csr";
import { historyOf } from "./evaluate";
import { standardise } from "./families/hybrid";
import type { History, Model } from "./families/types";
import type { Pacer } from "./pacer";
import type { Snapshot } from "./snapshot";
import { reasonFor, REASONS_PER_USER, type GenreCatalogue } from "./reasons";
import { topK } from "./topk";
import { positionIn } from "../lib/sorted-search";

export const TOP_PER_USER = 100;
/** Users with fewer tracks than this get the model blended with what is popular in their favourite genres. */
export const LIGHT_HISTORY = 3;

/** Listens per track over the whole snapshot. */
export function trackPopularity(snapshot: Snapshot): Float32Array {
  const popularity = new Float32Array(snapshot.trackIds.length);
  for (const t of snapshot.listenTrack) popularity[t]!++;
  return popularity;
}

/** Each track's genres as ids (lower-cased names), CSR by track: made once per catalogue. */
interface GenreIndex {
  ids: Map<string, number>;
  indptr: Int32Array;
  genreIds: Int32Array;
}
const genreIndexes = new WeakMap<string[][], GenreIndex>();

function genreIndex(genres: string[][]): GenreIndex {
  let index = genreIndexes.get(genres);
  if (index) return index;
  const ids = new Map<string, number>();
  const indptr = new Int32Array(genres.length + 1);
  const list: number[] = [];
  genres.forEach((names, t) => {
    for (const name of names) {
      const key = name.toLowerCase();
      if (!ids.has(key)) ids.set(key, ids.size);
      list.push(ids.get(key)!);
    }
    indptr[t + 1] = list.length;
  });
  index = { ids, indptr, genreIds: Int32Array.from(list) };
  genreIndexes.set(genres, index);
  return index;
}

/** Cold start: popularity among the tracks of the user's favourite genres (all tracks when none matches). */
export function genrePopularity(catalogue: GenreCatalogue, popularity: Float32Array, favourite: readonly string[], out: Float32Array): void {
  const { ids, indptr, genreIds } = genreIndex(catalogue.genres);
  const wanted = new Uint8Array(ids.size);
  for (const name of favourite) {
    const id = ids.get(name.toLowerCase());
    if (id !== undefined) wanted[id] = 1;
  }
  let matched = 0;
  for (let t = 0; t < out.length; t++) {
    let inGenre = false;
    for (let q = indptr[t]!; q < indptr[t + 1]! && !inGenre; q++) inGenre = wanted[genreIds[q]!] === 1;
    out[t] = inGenre ? popularity[t]! : Number.NEGATIVE_INFINITY;
    if (inGenre) matched++;
  }
  if (matched === 0) out.set(popularity);
}

/**
 * A user's scores: the model from their history; popularity in their favourite genres when they
 * have none; an even blend of the two (standardised) when they have little.
 */
export function userScores(
  model: Model,
  catalogue: GenreCatalogue,
  popularity: Float32Array,
  history: History,
  favourite: readonly string[],
  out: Float32Array,
  scratch: Float32Array,
): void {
  if (history.items.length === 0) {
    genrePopularity(catalogue, popularity, favourite, out);
    return;
  }
  model.scoreHistory(history, out);
  if (history.items.length >= LIGHT_HISTORY) return;
  standardise(out);
  genrePopularity(catalogue, popularity, favourite, scratch);
  standardise(scratch);
  for (let t = 0; t < out.length; t++) out[t]! += scratch[t]!;
}

/** A listener's scores: of every track (`tracks` null, `scores[t]` is track t's), or of candidates (`scores[k]` is `tracks[k]`'s). */
export interface ListenerScores {
  tracks: Int32Array | null;
  scores: Float32Array;
}

/** Catalogue-sized buffers one listener at a time is scored in (scoring is synchronous). */
export interface ScoringBuffers {
  scores: Float32Array;
  scratch: Float32Array;
}

/**
 * `userScores` over the listener's candidates only (`retrieve`), or over the whole catalogue when
 * `scoring` says so, the model cannot retrieve, or the history is light (under LIGHT_HISTORY tracks:
 * its blend with genre popularity is standardised over every track, so it is ranked as before).
 */
export function listenerScores(
  model: Model,
  catalogue: GenreCatalogue,
  popularity: Float32Array,
  history: History,
  favourite: readonly string[],
  buffers: ScoringBuffers,
  scoring: Scoring,
): ListenerScores {
  const tracks = scoring === "candidates" && history.items.length >= LIGHT_HISTORY ? retrieve(model, catalogue, popularity, history, favourite) : null;
  if (!tracks) {
    userScores(model, catalogue, popularity, history, favourite, buffers.scores, buffers.scratch);
    return { tracks: null, scores: buffers.scores };
  }
  const scores = buffers.scores.subarray(0, tracks.length);
  // The moments only serve a blend's standardising: a blend's own answer here is its scores.
  if (!model.scoreCandidates) scoreOn(model, history, tracks, scores, buffers.scratch);
  else model.scoreCandidates(history, tracks, scores);
  return { tracks, scores };
}

/** Sets the listener's heard tracks to −∞ in `scored`. */
export function excludeHeard(scored: ListenerScores, history: History): void {
  const { tracks, scores } = scored;
  if (!tracks) {
    for (const item of history.items) scores[item] = Number.NEGATIVE_INFINITY;
    return;
  }
  // Candidates are ascending: a binary search per heard track.
  for (const item of history.items) {
    const p = positionIn(tracks, item);
    if (p >= 0) scores[p] = Number.NEGATIVE_INFINITY;
  }
}

const DAY_MS = 86_400_000;

/**
 * The listeners batch scoring stores rows for: those whose latest listen is at most `days` before the
 * snapshot's latest (null: every listener, `days` 0). The others are answered when they ask.
 */
export function recentListeners(snapshot: Snapshot, days: number): Uint8Array | null {
  if (days === 0) return null;
  let latest = Number.NEGATIVE_INFINITY;
  for (const t of snapshot.listenTime) if (t > latest) latest = t;
  const since = latest - days * DAY_MS;
  const recent = new Uint8Array(snapshot.userIds.length);
  for (let i = 0; i < snapshot.listenUser.length; i++) if (snapshot.listenTime[i]! >= since) recent[snapshot.listenUser[i]!] = 1;
  return recent;
}

/** How many of the users [from, to) batch scoring stores rows for. */
export function countScored(recent: Uint8Array | null, [from, to]: readonly [number, number]): number {
  if (!recent) return to - from;
  let count = 0;
  for (let user = from; user < to; user++) count += recent[user]!;
  return count;
}

/**
 * COPY lines of `recommendations` for users [from, to) of the snapshot (those of them in `recent`,
 * when given): top 100 unheard tracks, scores, the first 20 reasons.
 */
export async function* scoredLines(
  versionId: number,
  model: Model,
  snapshot: Snapshot,
  matrix: Csr,
  [from, to]: readonly [number, number],
  pace: Pacer,
  recent: Uint8Array | null,
  scoring: Scoring = env().SCORING,
): AsyncGenerator<string> {
  const popularity = trackPopularity(snapshot);
  const buffers = { scores: new Float32Array(snapshot.trackIds.length), scratch: new Float32Array(snapshot.trackIds.length) };
  const catalogue = { trackIds: snapshot.trackIds, genres: snapshot.tracks.genres };
  for (let user = from; user < to; user++) {
    if (recent && !recent[user]) continue;
    await pace.breathe();
    const history = historyOf(matrix, user);
    const favourite = snapshot.users.favoriteGenres[user]!;
    const scored = listenerScores(model, catalogue, popularity, history, favourite, buffers, scoring);
    excludeHeard(scored, history);
    const best = topK(scored.scores, TOP_PER_USER);
    const top = scored.tracks ? best.map((p) => scored.tracks![p]!) : best;
    const ids = Array.from(top, (t) => snapshot.trackIds[t]!);
    const values = Array.from(best, (p) => Math.fround(scored.scores[p]!));
    const reasons = Array.from(top.subarray(0, REASONS_PER_USER), (t) => reasonFor(model, catalogue, history, t, favourite));
    yield `${versionId}\t${snapshot.userIds[user]}\t{${ids.join(",")}}\t{${values.join(",")}}\t${copyField(JSON.stringify(reasons))}\n`;
  }
}

/** Scores users [from, to) elsewhere (a worker thread), handing their lines to `onLines`; false when it cannot run here. */
export type ScoreHelper = (range: readonly [number, number], onLines: (lines: string) => void) => Promise<boolean>;

export interface BatchScoring {
  /** the listeners to store rows for (`recentListeners`; null: all) */
  recent: Uint8Array | null;
  /** scores the second half of the users elsewhere */
  helper?: ScoreHelper;
  onProgress?: (usersScored: number, users: number) => void;
}

/**
 * The version's top 100 unheard tracks for the snapshot's recent listeners (the model must see the
 * snapshot's catalogue: `inCatalogue`), replacing everything it had stored, in one transaction. With a
 * `helper`, the second half of the users is scored there while this thread scores the first.
 * Lines go to COPY as they are made, so memory holds at most the helper's lines not yet written.
 */
export async function batchScore(
  database: Database,
  versionId: number,
  model: Model,
  snapshot: Snapshot,
  matrix: Csr,
  pace: Pacer,
  { recent, helper, onProgress = () => undefined }: BatchScoring,
): Promise<{ users: number; perUser: number }> {
  const all = snapshot.userIds.length;
  const users = countScored(recent, [0, all]);
  const half = helper ? Math.floor(all / 2) : all;
  const helped: string[] = [];
  let wake: (() => void) | undefined;
  const arrived = (lines: string) => {
    helped.push(lines);
    wake?.();
  };
  const helping = half < all ? helper!([half, all], arrived) : Promise.resolve(true);
  // A failure of the helper surfaces below, where its lines are awaited.
  let helperDone = false;
  const ignore = () => undefined;
  const settled = helping.then(ignore, ignore).then(() => {
    helperDone = true;
    wake?.();
  });
  async function* lines() {
    for await (const line of scoredLines(versionId, model, snapshot, matrix, [0, half], pace, recent)) {
      yield line;
      while (helped.length) yield helped.shift()!;
    }
    while (!helperDone || helped.length) {
      if (helped.length) yield helped.shift()!;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
    // The helper could not run here: its half on this thread.
    if (!(await helping)) yield* scoredLines(versionId, model, snapshot, matrix, [half, all], pace, recent);
  }
  // One line per user (COPY escapes the newlines inside a field): users scored so far, for the progress bar.
  async function* counted(source: AsyncGenerator<string>) {
    let scored = 0;
    for await (const chunk of source) {
      for (let at = chunk.indexOf("\n"); at !== -1; at = chunk.indexOf("\n", at + 1)) scored++;
      onProgress(scored, users);
      yield chunk;
    }
  }
  try {
    await replaceRecommendations(database, versionId, null, counted(lines()));
  } finally {
    await settled;
  }
  return { users, perUser: TOP_PER_USER };
}

/**
 * Replaces the version's rows (of the user ids in `ids`, inclusive; all of them when null) with
 * `lines` (COPY text), in one transaction: readers see the old rows or the new, never a mix.
 */
export async function replaceRecommendations(
  database: Database,
  versionId: number,
  ids: readonly [number, number] | null,
  lines: AsyncIterable<string>,
): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN");
    if (ids) await client.query("DELETE FROM recommendations WHERE version_id = $1 AND user_id BETWEEN $2 AND $3", [versionId, ...ids]);
    else await client.query("DELETE FROM recommendations WHERE version_id = $1", [versionId]);
    await pipeline(Readable.from(lines), client.query(copyFrom("COPY recommendations (version_id, user_id, track_ids, scores, reasons) FROM STDIN")));
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
