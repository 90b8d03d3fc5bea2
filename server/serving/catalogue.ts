import type pg from "pg";
import type { GenreCatalogue } from "../recommender/reasons";
import { genreList, present } from "../recommender/snapshot";
import { positionIn } from "../lib/sorted-search";
import { TextColumn } from "../lib/text-column";

/**
 * The tracks that may be served (in `tracks` and not vanished from the source), by index, with what
 * an answer shows of them. Few objects: each full collection of the web process traces all of it.
 */
export interface ServingCatalogue extends GenreCatalogue {
  /** ascending: a track's index is found by binary search (`positionIn`) */
  trackIds: Int32Array;
  names: TextColumn;
  artists: TextColumn;
  genres: string[][];
  /** lower-cased genres, for request filters */
  genreKeys: string[][];
  /** listens per track over all listening: what "popular" means when no model answers */
  popularity: Float32Array;
}

/** What ranking from scratch needs of the catalogue (no names). */
export type RankingCatalogue = Pick<ServingCatalogue, "trackIds" | "genres" | "genreKeys" | "popularity">;

/** The ranking parts in a few arrays, to post to a thread: cloning 500,000 genre lists one by one would stall the event loop. */
export interface PackedCatalogue {
  trackIds: Int32Array;
  popularity: Float32Array;
  genreNames: string[];
  /** track t's genres are genreNames[genreIds[genreIndptr[t]…genreIndptr[t+1]]] */
  genreIndptr: Int32Array;
  genreIds: Int32Array;
}

export function packCatalogue({ trackIds, popularity, genres }: RankingCatalogue): PackedCatalogue {
  const ids = new Map<string, number>();
  const genreIndptr = new Int32Array(genres.length + 1);
  const list: number[] = [];
  genres.forEach((names, t) => {
    for (const name of names) {
      let id = ids.get(name);
      if (id === undefined) ids.set(name, (id = ids.size));
      list.push(id);
    }
    genreIndptr[t + 1] = list.length;
  });
  return { trackIds, popularity, genreNames: [...ids.keys()], genreIndptr, genreIds: Int32Array.from(list) };
}

export function unpackCatalogue({ trackIds, popularity, genreNames, genreIndptr, genreIds }: PackedCatalogue): RankingCatalogue {
  const lists = new Interned<string[]>();
  const genres = Array.from(trackIds, (_, t) => {
    const of = genreIds.subarray(genreIndptr[t]!, genreIndptr[t + 1]!);
    return lists.get(of.join(), () => Array.from(of, (g) => genreNames[g]!));
  });
  return { trackIds, popularity, genres, genreKeys: keysOf(genres) };
}

export async function loadCatalogue(pool: pg.Pool): Promise<ServingCatalogue> {
  const [tracks, listens] = await Promise.all([
    pool.query<{ id: number; name: string; artist: string; genres: string }>(
      `SELECT id, name, artist, genres FROM tracks t WHERE ${present("tracks")} ORDER BY id`,
    ),
    // Kept by listen_history's triggers: one row per track, not every listen unnested at each refresh.
    pool.query<{ id: number; n: number }>("SELECT track_id AS id, listens::float8 AS n FROM track_listen_counts WHERE listens > 0"),
  ]);
  const trackIds = Int32Array.from(tracks.rows, (t) => t.id);
  const popularity = new Float32Array(trackIds.length);
  for (const row of listens.rows) {
    const i = positionIn(trackIds, row.id);
    if (i >= 0) popularity[i] = row.n;
  }
  const lists = new Interned<string[]>();
  const genres = tracks.rows.map((t) => lists.get(t.genres, () => genreList(t.genres)));
  return {
    trackIds,
    names: TextColumn.of(tracks.rows.map((t) => t.name)),
    artists: TextColumn.of(tracks.rows.map((t) => t.artist)),
    genres,
    genreKeys: keysOf(genres),
    popularity,
  };
}

/**
 * One object per distinct value: 500,000 tracks share a few hundred genre lists, and a few hundred
 * arrays instead of a million keep each full garbage collection short.
 */
class Interned<T> {
  private readonly values = new Map<string, T>();
  get(key: string, make: () => T): T {
    let value = this.values.get(key);
    if (value === undefined) this.values.set(key, (value = make()));
    return value;
  }
}

/** Each (interned) genre list lower-cased, the same list for the same genres. */
function keysOf(genres: string[][]): string[][] {
  const keys = new Map<string[], string[]>();
  return genres.map((list) => {
    let lower = keys.get(list);
    if (!lower) keys.set(list, (lower = list.map((name) => name.toLowerCase())));
    return lower;
  });
}

const byGenre = new WeakMap<string[][], Map<string, Int32Array>>();

/** Each genre's tracks (keyed lower-cased), ascending; made once per catalogue, so a genre filter costs the genre's size, not the catalogue's. */
export function genreMembers(catalogue: Pick<ServingCatalogue, "genreKeys">): ReadonlyMap<string, Int32Array> {
  let lists = byGenre.get(catalogue.genreKeys);
  if (!lists) {
    const members = new Map<string, number[]>();
    catalogue.genreKeys.forEach((keys, t) => {
      for (const key of keys) {
        let list = members.get(key);
        if (!list) members.set(key, (list = []));
        if (list.at(-1) !== t) list.push(t);
      }
    });
    lists = new Map([...members].map(([key, list]) => [key, Int32Array.from(list)]));
    byGenre.set(catalogue.genreKeys, lists);
  }
  return lists;
}

/** The indices of the tracks of `genre` (lower-cased), ascending. */
export const tracksOfGenre = (catalogue: Pick<ServingCatalogue, "genreKeys">, genre: string): Int32Array =>
  genreMembers(catalogue).get(genre) ?? new Int32Array();
