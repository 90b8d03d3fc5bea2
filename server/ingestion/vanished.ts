import type pg from "pg";
import type { Dataset } from "./records";

/** What one full read of the source told about rows it no longer holds. */
export interface VanishedCount {
  /** rows the previous reads held: in the table and not already gone */
  previousRead: number;
  /** of those, the ones this read did not hold */
  vanished: number;
  /** gone rows this read held again */
  returned: number;
  /** rows gone from the source now, whenever first missed */
  gone: number;
}

/** A row's key as `source_vanished` stores it (histories: user_id@created_at in UTC, to the microsecond). */
export const VANISHED_KEY: Record<Dataset, string> = {
  tracks: "t.id::text",
  users: "t.id::text",
  listen_history: `t.user_id::text || '@' || to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
};

/** The keys a read held, as rows `k` (from the parameters $3, $4 of `markVanished`). */
const SEEN: Record<Dataset, { from: string; matches: string }> = {
  tracks: { from: "unnest($3::int[]) AS k(id)", matches: "k.id = t.id" },
  users: { from: "unnest($3::int[]) AS k(id)", matches: "k.id = t.id" },
  listen_history: { from: "unnest($3::int[], $4::timestamptz[]) AS k(user_id, created_at)", matches: "k.user_id = t.user_id AND k.created_at = t.created_at" },
};

/**
 * After a full read: rows of the table the read did not hold (nor quarantined as invalid in this
 * run) are marked gone, and gone rows it held again are marked back. One statement, so the counts
 * all describe the state before this read.
 */
export async function markVanished(
  pool: pg.Pool,
  dataset: Dataset,
  run: { id: number; rowsInserted: number },
  keyArrays: [string] | [string, string],
): Promise<VanishedCount> {
  const key = VANISHED_KEY[dataset];
  const seen = SEEN[dataset];
  const { rows } = await pool.query<{ previous_read: string; vanished: string; returned: string; gone_before: string }>(
    `WITH seen AS MATERIALIZED (SELECT * FROM ${seen.from}),
     gone_before AS (SELECT v.record_key FROM source_vanished v WHERE v.dataset = $1),
     vanished AS (
       INSERT INTO source_vanished (dataset, record_key, first_missed_run_id)
       SELECT $1, ${key}, $2 FROM ${dataset} t
        WHERE NOT EXISTS (SELECT 1 FROM seen k WHERE ${seen.matches})
          AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.run_id = $2 AND q.dataset = $1 AND q.reason_code = 'invalid' AND q.record_key = ${key})
       ON CONFLICT (dataset, record_key) DO NOTHING
       RETURNING 1),
     returned AS (
       DELETE FROM source_vanished v USING ${dataset} t
        WHERE v.dataset = $1 AND v.record_key = ${key} AND EXISTS (SELECT 1 FROM seen k WHERE ${seen.matches})
       RETURNING 1)
     SELECT (SELECT count(*) FROM ${dataset}) - (SELECT count(*) FROM gone_before) AS previous_read,
            (SELECT count(*) FROM vanished) AS vanished,
            (SELECT count(*) FROM returned) AS returned,
            (SELECT count(*) FROM gone_before) AS gone_before`,
    [dataset, run.id, ...keyArrays],
  );
  const r = rows[0]!;
  const [vanished, returned, goneBefore] = [Number(r.vanished), Number(r.returned), Number(r.gone_before)];
  // Rows this run inserted were never part of an earlier read.
  return { previousRead: Math.max(0, Number(r.previous_read) - run.rowsInserted), vanished, returned, gone: goneBefore + vanished - returned };
}
