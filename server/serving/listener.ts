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
type Row = Record<"heard" | "counts" | "disliked" | "track_ids" | "scores", string | null> & {
  favorite_genres: string | null;
  reasons: Reason[] | null;
  exposures: { e: number; v: string }[] | null;
};

const numbers = (text: string | null): number[] => (text ? text.split(",").map(Number) : []);

/** One round trip: profile, listening, dislikes, the version's batch scores (`versionId` null: none) and their variants. */
export async function readListener(pool: pg.Pool, userId: number, versionId: number | null): Promise<ListenerData> {
  // Named: each connection plans it once, not on every request. No array parameter (say, the running
  // experiments): with one, PostgreSQL judged its generic plan dearer and planned every execution
  // (+0.25 ms of its CPU a request, seen in bench:serve once exposures had statistics).
  const { rows } = await pool.query<Row>({
    name: "serving.listener",
    text: `WITH heard AS (SELECT item, count(*)::int AS n FROM listen_history h, unnest(h.items) AS item WHERE h.user_id = $1 GROUP BY item)
     SELECT (SELECT favorite_genres FROM users WHERE id = $1) AS favorite_genres,
            (SELECT string_agg(item::text, ',' ORDER BY item) FROM heard) AS heard,
            (SELECT string_agg(n::text, ',' ORDER BY item) FROM heard) AS counts,
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
    heard: { trackIds: numbers(row.heard), counts: numbers(row.counts) },
    disliked: numbers(row.disliked),
    batch: row.track_ids === null ? null : { trackIds: numbers(row.track_ids), scores: numbers(row.scores), reasons: row.reasons ?? [] },
    exposures: new Map((row.exposures ?? []).map((x) => [x.e, x.v])),
  };
}
