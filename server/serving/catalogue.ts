import type pg from "pg";
import type { GenreCatalogue } from "../recommender/reasons";
import { genreList, present } from "../recommender/snapshot";

/** The tracks that may be served (in `tracks` and not vanished from the source), by index, with what an answer shows of them. */
export interface ServingCatalogue extends GenreCatalogue {
  /** sorted */
  trackIds: Int32Array;
  names: string[];
  artists: string[];
  genres: string[][];
  /** lower-cased genres, for request filters */
  genreKeys: string[][];
  /** track id → index */
  index: Map<number, number>;
  /** listens per track over all listening: what "popular" means when no model answers */
  popularity: Float32Array;
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
  const index = new Map<number, number>();
  trackIds.forEach((trackId, i) => index.set(trackId, i));
  const popularity = new Float32Array(trackIds.length);
  for (const row of listens.rows) {
    const i = index.get(row.id);
    if (i !== undefined) popularity[i] = row.n;
  }
  const genres = tracks.rows.map((t) => genreList(t.genres));
  return {
    trackIds,
    names: tracks.rows.map((t) => t.name),
    artists: tracks.rows.map((t) => t.artist),
    genres,
    genreKeys: genres.map((g) => g.map((name) => name.toLowerCase())),
    index,
    popularity,
  };
}

const byGenre = new WeakMap<string[][], Map<string, Int32Array>>();

/** The indices of the tracks of `genre` (lower-cased), ascending; made once per catalogue, so a genre filter costs the genre's size, not the catalogue's. */
export function tracksOfGenre(catalogue: Pick<ServingCatalogue, "genreKeys">, genre: string): Int32Array {
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
  return lists.get(genre) ?? new Int32Array();
}
