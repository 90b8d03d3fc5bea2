import type pg from "pg";
import type { FeedbackEventInput } from "./schemas";

export type EventsOutcome = { accepted: number; duplicates: number } | { refused: { message: string; fields: Record<string, string[]> } };

/**
 * Stores a batch in one statement. An id this sender (API key, 0 for a console session) stored
 * before, in any month, or sent twice in the batch, is stored once (its first). The table's key holds
 * `at` (it is partitioned by month), so two requests sending the same new id at once with different
 * times would both be kept. A batch naming a track the catalogue does not hold is refused whole:
 * events about nothing would only grow the listener's dislikes.
 */
export async function recordEvents(pool: pg.Pool, events: FeedbackEventInput[], keyId: number | null): Promise<EventsOutcome> {
  const { rows } = await pool.query<{ accepted: number; unknown: number[] | null }>(
    `WITH e AS (SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::feedback_type[], $5::timestamptz[], $6::text[]) WITH ORDINALITY AS e(id, user_id, track_id, type, at, request_id, n)),
          unknown AS (SELECT e.n FROM e WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.id = e.track_id)),
          fresh AS (SELECT DISTINCT ON (e.id) e.* FROM e
                     WHERE NOT EXISTS (SELECT 1 FROM feedback_events f WHERE f.sender = $7::int AND f.id = e.id) ORDER BY e.id, e.n),
          stored AS (INSERT INTO feedback_events (sender, id, user_id, track_id, type, at, request_id, key_id)
                     SELECT $7::int, f.id, f.user_id, f.track_id, f.type, f.at, f.request_id, nullif($7::int, 0) FROM fresh f WHERE NOT EXISTS (SELECT 1 FROM unknown)
                     ON CONFLICT DO NOTHING RETURNING 1)
     SELECT (SELECT count(*)::int FROM stored) AS accepted, (SELECT array_agg(n::int ORDER BY n) FROM unknown) AS unknown`,
    [
      events.map((e) => e.id),
      events.map((e) => e.userId),
      events.map((e) => e.trackId),
      events.map((e) => e.type),
      events.map((e) => e.at),
      events.map((e) => e.requestId ?? null),
      keyId ?? 0,
    ],
  );
  const { accepted, unknown } = rows[0]!;
  if (unknown) {
    const fields = Object.fromEntries(unknown.map((n) => [`events.${n - 1}.trackId`, [`no track ${events[n - 1]!.trackId} in the catalogue`]]));
    const tracks = [...new Set(unknown.map((n) => events[n - 1]!.trackId))];
    return {
      refused: {
        message: `${unknown.length} of ${events.length} events name a track not in the catalogue (${tracks.slice(0, 5).join(", ")}${tracks.length > 5 ? ", …" : ""}); nothing was stored.`,
        fields,
      },
    };
  }
  return { accepted, duplicates: events.length - accepted };
}
