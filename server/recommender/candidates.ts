import type { History, Model, ScoreMoments } from "./families/types";
import type { GenreCatalogue } from "./reasons";
import { topK } from "./topk";

/**
 * Candidates, then ranking (as in two-stage recommenders, Covington et al. 2016): each listener's
 * few hundred likely tracks are retrieved (the model's own sources, and what is popular in their
 * favourite genres), and only those are scored, instead of the whole catalogue.
 */

/** Tracks each model retrieves per listener (a blend: each of its families). */
export const MODEL_CANDIDATES = 300;
/** Tracks popular in the listener's favourite genres added to them. */
export const GENRE_CANDIDATES = 100;

/** How batch scoring and serving rank a listener's tracks: candidates then ranking, or the whole catalogue. */
export type Scoring = "candidates" | "exhaustive";

/** The moments of a whole score vector, −∞ excluded (what `scoreCandidates` returns). */
export function momentsOf(scores: Float32Array): ScoreMoments {
  let [finite, sum, sumSq, min] = [0, 0, 0, Number.POSITIVE_INFINITY];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s === Number.NEGATIVE_INFINITY) continue;
    finite++;
    sum += s;
    sumSq += s * s;
    if (s < min) min = s;
  }
  return { finite, sum, sumSq, min };
}

/** z = (s − mean)·scale over the finite scores; −∞ becomes `floor`, the lowest z. */
export function zScale(m: ScoreMoments): { mean: number; scale: number; floor: number } {
  const mean = m.finite ? m.sum / m.finite : 0;
  const sd = m.finite ? Math.sqrt(Math.max(0, m.sumSq / m.finite - mean * mean)) : 0;
  const scale = sd > 0 ? 1 / sd : 0;
  return { mean, scale, floor: m.finite ? (m.min - mean) * scale : 0 };
}

/**
 * `out[k]` = `model`'s score of `candidates[k]`, and the moments of all its scores: from
 * `scoreCandidates`, or for a family without it from `scoreHistory` into `full` (catalogue-sized).
 */
export function scoreOn(model: Model, history: History, candidates: Int32Array, out: Float32Array, full: Float32Array): ScoreMoments {
  const moments = model.scoreCandidates?.(history, candidates, out);
  if (moments) return moments;
  model.scoreHistory(history, full);
  for (let k = 0; k < candidates.length; k++) out[k] = full[candidates[k]!]!;
  return momentsOf(full);
}

/** Each genre's most popular tracks, best first, made once per catalogue and popularity. */
interface GenreTops {
  ids: Map<string, number>;
  /** genre g's tracks at indptr[g]..indptr[g+1] */
  indptr: Int32Array;
  tracks: Int32Array;
  /** all tracks, for listeners with no favourite genre in the catalogue */
  overall: Int32Array;
}
const genreTops = new WeakMap<Float32Array, WeakMap<string[][], GenreTops>>();

function topsOf(catalogue: GenreCatalogue, popularity: Float32Array): GenreTops {
  let byCatalogue = genreTops.get(popularity);
  if (!byCatalogue) genreTops.set(popularity, (byCatalogue = new WeakMap()));
  let tops = byCatalogue.get(catalogue.genres);
  if (tops) return tops;
  const ids = new Map<string, number>();
  const members: number[][] = [];
  catalogue.genres.forEach((names, t) => {
    for (const name of names) {
      const key = name.toLowerCase();
      let id = ids.get(key);
      if (id === undefined) {
        ids.set(key, (id = ids.size));
        members.push([]);
      }
      if (members[id]!.at(-1) !== t) members[id]!.push(t);
    }
  });
  const indptr = new Int32Array(members.length + 1);
  const lists = members.map((list) => {
    const top = topK(
      Float32Array.from(list, (t) => popularity[t]!),
      GENRE_CANDIDATES,
    );
    return Int32Array.from(top, (k) => list[k]!);
  });
  lists.forEach((list, g) => (indptr[g + 1] = indptr[g]! + list.length));
  const tracks = new Int32Array(indptr[members.length]!);
  lists.forEach((list, g) => tracks.set(list, indptr[g]!));
  tops = { ids, indptr, tracks, overall: topK(popularity, GENRE_CANDIDATES) };
  byCatalogue.set(catalogue.genres, tops);
  return tops;
}

/** The most popular tracks of each favourite genre (of all tracks when none is in the catalogue), as `genrePopularity` ranks them. */
export function genreCandidates(catalogue: GenreCatalogue, popularity: Float32Array, favourite: readonly string[]): Int32Array[] {
  const tops = topsOf(catalogue, popularity);
  const lists: Int32Array[] = [];
  for (const name of favourite) {
    const g = tops.ids.get(name.toLowerCase());
    if (g !== undefined && tops.indptr[g + 1]! > tops.indptr[g]!) lists.push(tops.tracks.subarray(tops.indptr[g]!, tops.indptr[g + 1]!));
  }
  return lists.length ? lists : [tops.overall];
}

/** A listener's candidates for `model`, sorted by track index (ties then rank as over the whole catalogue); null when the model cannot retrieve. */
export function retrieve(model: Model, catalogue: GenreCatalogue, popularity: Float32Array, history: History, favourite: readonly string[]): Int32Array | null {
  if (!model.candidates) return null;
  // Heard tracks are among what the model finds and are dropped after ranking: ask for as many more.
  const lists = [model.candidates(history, MODEL_CANDIDATES + history.items.length), ...genreCandidates(catalogue, popularity, favourite)];
  return union(lists);
}

/** The distinct tracks of `lists`, ascending. */
export function union(lists: Int32Array[]): Int32Array {
  let size = 0;
  for (const list of lists) size += list.length;
  const all = new Int32Array(size);
  let at = 0;
  for (const list of lists) {
    all.set(list, at);
    at += list.length;
  }
  all.sort();
  let distinct = 0;
  for (let k = 0; k < all.length; k++) if (k === 0 || all[k] !== all[k - 1]) all[distinct++] = all[k]!;
  return all.slice(0, distinct);
}
