import type { Database, Db } from "../db/client";
import { genreList } from "../recommender/snapshot";
import { INT4_MAX } from "../db/limits";

/** Listeners whose id is the query, or whose name or e-mail holds every word of it; the first ones by id for an empty query. */
export function searchListeners(db: Db, query: string, limit: number) {
  const words = query.split(/\s+/).filter(Boolean).slice(0, 5);
  const id = /^\d{1,10}$/.test(query) && Number(query) <= INT4_MAX ? Number(query) : null;
  const byText = words.map((word) => ({
    OR: [
      { firstName: { contains: word, mode: "insensitive" as const } },
      { lastName: { contains: word, mode: "insensitive" as const } },
      { email: { contains: word, mode: "insensitive" as const } },
    ],
  }));
  return db.user.findMany({
    where: words.length ? { OR: [...(id === null ? [] : [{ id }]), { AND: byText }] } : {},
    orderBy: { id: "asc" },
    take: limit,
    select: { id: true, firstName: true, lastName: true, email: true, favoriteGenres: true },
  });
}

/** A listener's profile and listening: per day, top genres and artists, the latest tracks. Null when unknown. */
export async function listenerProfile(database: Database, userId: number) {
  const user = await database.db.user.findUnique({ where: { id: userId } });
  if (!user) return null;
  const { pool } = database;
  const [days, genres, artists, recent] = await Promise.all([
    pool.query<{ day: string; listens: number }>(
      `SELECT to_char(date_trunc('day', created_at), 'YYYY-MM-DD') AS day, sum(cardinality(items))::int AS listens
         FROM listen_history WHERE user_id = $1 GROUP BY 1 ORDER BY 1`,
      [userId],
    ),
    pool.query<{ genre: string; listens: number }>(
      `SELECT trim(g) AS genre, count(*)::int AS listens
         FROM listen_history h, unnest(h.items) AS item JOIN tracks t ON t.id = item, unnest(string_to_array(t.genres, ',')) AS g
        WHERE h.user_id = $1 AND trim(g) <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8`,
      [userId],
    ),
    pool.query<{ artist: string; listens: number }>(
      `SELECT t.artist, count(*)::int AS listens FROM listen_history h, unnest(h.items) AS item JOIN tracks t ON t.id = item
        WHERE h.user_id = $1 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8`,
      [userId],
    ),
    pool.query<{ id: number; name: string | null; artist: string | null; at: Date }>(
      `SELECT item AS id, t.name, t.artist, h.created_at AS at
         FROM listen_history h, unnest(h.items) WITH ORDINALITY AS x(item, n) LEFT JOIN tracks t ON t.id = item
        WHERE h.user_id = $1 ORDER BY h.created_at DESC, x.n LIMIT 20`,
      [userId],
    ),
  ]);
  return {
    user: { ...user, favoriteGenres: genreList(user.favoriteGenres) },
    listensPerDay: days.rows,
    totalListens: days.rows.reduce((sum, d) => sum + d.listens, 0),
    topGenres: genres.rows,
    topArtists: artists.rows,
    recent: recent.rows,
  };
}

/** A track and how many listeners heard it; null when unknown. */
export async function trackDetail(database: Database, trackId: number) {
  const track = await database.db.track.findUnique({ where: { id: trackId } });
  if (!track) return null;
  const { rows } = await database.pool.query<{ listeners: number; listens: number }>(
    // @> finds the histories through the GIN index on items.
    `SELECT count(DISTINCT h.user_id)::int AS listeners, coalesce(sum((SELECT count(*) FROM unnest(h.items) AS item WHERE item = $1)), 0)::int AS listens
       FROM listen_history h WHERE h.items @> ARRAY[$1::int]`,
    [trackId],
  );
  const vanished = await database.db.vanishedRecord.findUnique({ where: { dataset_recordKey: { dataset: "tracks", recordKey: String(trackId) } } });
  return { ...track, genres: genreList(track.genres), ...rows[0]!, vanished: vanished !== null };
}
