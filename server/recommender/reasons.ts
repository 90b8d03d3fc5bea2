import type { History, Model } from "./families/types";

/** Track ids and genres by catalogue index: a snapshot's, or the serving catalogue's. */
export interface GenreCatalogue {
  trackIds: Int32Array;
  genres: string[][];
}

/** Why a track is recommended; the words are made where it is shown, with the track names of that day. */
export type Reason = { kind: "history"; trackIds: number[] } | { kind: "genre"; genre: string } | { kind: "popular" };

/** Batch scores keep the reasons of each user's first 20 tracks (the API's default k), so most answers need no reason computed. */
export const REASONS_PER_USER = 20;

/**
 * From the user's own listening when the model draws on it ("because you listened to X and Y"),
 * else the favourite genre the track belongs to ("popular in Rock"), else "popular now".
 */
export function reasonFor(model: Model | null, catalogue: GenreCatalogue, history: History, item: number, favouriteGenres: readonly string[]): Reason {
  const tracks = model && history.items.length ? model.because(history, item, 2) : new Int32Array();
  if (tracks.length) return { kind: "history", trackIds: Array.from(tracks, (t) => catalogue.trackIds[t]!) };
  const wanted = new Set(favouriteGenres.map((g) => g.toLowerCase()));
  const genre = catalogue.genres[item]!.find((g) => wanted.has(g.toLowerCase()));
  return genre ? { kind: "genre", genre } : { kind: "popular" };
}
