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
}

interface Row {
  favorite_genres: string | null;
  heard: number[] | null;
  counts: number[] | null;
  disliked: number[] | null;
  track_ids: number[] | null;
  scores: number[] | null;
  reasons: Reason[] | null;
}

/** One round trip: profile, listening, dislikes and the version's batch scores (`versionId` null: none). */
export async function readListener(pool: pg.Pool, userId: number, versionId: number | null): Promise<ListenerData> {
  const { rows } = await pool.query<Row>(
    `WITH heard AS (SELECT item, count(*)::int AS n FROM listen_history h, unnest(h.items) AS item WHERE h.user_id = $1 GROUP BY item)
     SELECT (SELECT favorite_genres FROM users WHERE id = $1) AS favorite_genres,
            (SELECT array_agg(item) FROM heard) AS heard,
            (SELECT array_agg(n) FROM heard) AS counts,
            (SELECT array_agg(DISTINCT track_id) FROM feedback_events WHERE user_id = $1 AND type = 'dislike') AS disliked,
            r.track_ids, r.scores, r.reasons
       FROM (SELECT 1) AS one LEFT JOIN recommendations r ON r.version_id = $2 AND r.user_id = $1`,
    [userId, versionId],
  );
  const row = rows[0]!;
  return {
    known: row.favorite_genres !== null,
    favouriteGenres: row.favorite_genres ? genreList(row.favorite_genres) : [],
    heard: { trackIds: row.heard ?? [], counts: row.counts ?? [] },
    disliked: row.disliked ?? [],
    batch: row.track_ids ? { trackIds: row.track_ids, scores: row.scores ?? [], reasons: row.reasons ?? [] } : null,
  };
}
