import type pg from "pg";
import type { Reason } from "../recommender/reasons";
import { genreList } from "../recommender/snapshot";

/** What one answer needs to know about a listener, read fresh for every request. */
export interface ListenerData {
  /** in `users` (a listener who signed up since the last ingestion is not) */
  known: boolean;
  favouriteGenres: string[];
  /** every track they listened to, with how often, including listens newer than any model */
  heard: { trackIds: number[]; counts: number[] };
  disliked: number[];
  /** the served version's batch scores for them, if it has any */
  batch: { trackIds: number[]; scores: number[]; reasons: Reason[] } | null;
  /** their variant in each experiment they were exposed to (running or not: the caller picks) */
  exposures: Map<number, string>;
}

/** Arrays come as "1,2,3": splitting is several times faster than pg's array parser, and this runs on every request. */
type Row = Record<"heard" | "disliked" | "track_ids" | "scores", string | null> & {
  favorite_genres: string | null;
  reasons: Reason[] | null;
  exposures: { e: number; v: string }[] | null;
};

const numbers = (text: string | null): number[] => (text ? text.split(",").map(Number) : []);

/** Each track listened to, ascending, with how many of `listens` (track ids, any order) it has. */
export function countListens(listens: readonly number[]): ListenerData["heard"] {
  const sorted = Int32Array.from(listens).sort();
  const trackIds: number[] = [];
  const counts: number[] = [];
  for (let p = 0; p < sorted.length; p++) {
    if (p > 0 && sorted[p] === sorted[p - 1]) counts[counts.length - 1]!++;
    else {
      trackIds.push(sorted[p]!);
      counts.push(1);
    }
  }
  return { trackIds, counts };
}

/** One round trip: profile, listening, dislikes, the version's batch scores (`versionId` null: none) and their variants. */
export async function readListener(pool: pg.Pool, userId: number, versionId: number | null): Promise<ListenerData> {
  // Named: each connection plans it once, not on every request. No array parameter (say, the running
  // experiments): with one, PostgreSQL judged its generic plan dearer and planned every execution
  // (+0.25 ms of its CPU a request, seen in bench:serve once exposures had statistics).
  const { rows } = await pool.query<Row>({
    name: "serving.listener",
    // Every listen's track id as stored, counted here: unnesting, grouping and sorting them in the
    // query cost PostgreSQL 0.12 ms more a request (pgbench at 10 ×: 0.315 → 0.19 ms), counting ~100 ids here a few µs.
    // Empty rows are left out: each would add an empty id to the list ("3,,5").
    text: `SELECT (SELECT favorite_genres FROM users WHERE id = $1) AS favorite_genres,
            (SELECT string_agg(array_to_string(h.items, ','), ',') FROM listen_history h WHERE h.user_id = $1 AND cardinality(h.items) > 0) AS heard,
            (SELECT string_agg(track_id::text, ',') FROM listener_dislikes WHERE user_id = $1) AS disliked,
            array_to_string(r.track_ids, ',') AS track_ids, array_to_string(r.scores, ',') AS scores, r.reasons,
            (SELECT json_agg(json_build_object('e', x.experiment_id, 'v', x.variant)) FROM experiment_exposures x WHERE x.user_id = $1) AS exposures
       FROM (SELECT 1) AS one LEFT JOIN recommendations r ON r.version_id = $2 AND r.user_id = $1`,
    values: [userId, versionId],
  });
  const row = rows[0]!;
  return {
    known: row.favorite_genres !== null,
    favouriteGenres: row.favorite_genres ? genreList(row.favorite_genres) : [],
    heard: countListens(numbers(row.heard)),
    disliked: numbers(row.disliked),
    batch: row.track_ids === null ? null : { trackIds: numbers(row.track_ids), scores: numbers(row.scores), reasons: row.reasons ?? [] },
    exposures: new Map((row.exposures ?? []).map((x) => [x.e, x.v])),
  };
}
