import type pg from "pg";
import type { FeedbackEventInput } from "./schemas";

/** Stores a batch in one statement; an id already stored (sent before, or twice in the batch) is kept as it was. */
export async function recordEvents(pool: pg.Pool, events: FeedbackEventInput[], keyId: number | null): Promise<{ accepted: number; duplicates: number }> {
  const result = await pool.query(
    `INSERT INTO feedback_events (id, user_id, track_id, type, at, request_id, key_id)
     SELECT e.id, e.user_id, e.track_id, e.type, e.at, e.request_id, $7
       FROM unnest($1::text[], $2::int[], $3::int[], $4::feedback_type[], $5::timestamptz[], $6::text[]) AS e(id, user_id, track_id, type, at, request_id)
     ON CONFLICT (id) DO NOTHING`,
    [events.map((e) => e.id), events.map((e) => e.userId), events.map((e) => e.trackId), events.map((e) => e.type), events.map((e) => e.at), events.map((e) => e.requestId ?? null), keyId],
  );
  const accepted = result.rowCount ?? 0;
  return { accepted, duplicates: events.length - accepted };
}
