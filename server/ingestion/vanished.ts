import type pg from "pg";
import type { VanishedCount } from "./outputs";
import type { Dataset } from "./records";

/** A row's key as `source_vanished` stores it (histories: user_id@created_at in UTC, to the microsecond). */
export const VANISHED_KEY: Record<Dataset, string> = {
  tracks: "t.id::text",
  users: "t.id::text",
  listen_history: `t.user_id::text || '@' || to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
};

/** The keys one try of a dataset task read ($1 dataset, $2 run, $3 try), one row per valid record: its read (`pass`), `id` and `created_at` (histories'). */
export const READ_KEYS = `
  SELECT k.pass, u.id, u.created_at FROM ingest_read_keys k, unnest(k.ids, k.created_ats) AS u(id, created_at)
   WHERE k.run_id = $2 AND k.dataset = $1 AND k.try_number = $3`;

/** How a key the read held (`k`, distinct) matches a row `t` of the table. */
const HELD: Record<Dataset, string> = {
  tracks: "k.id = t.id",
  users: "k.id = t.id",
  listen_history: "k.id = t.user_id AND k.created_at = t.created_at",
};

/**
 * After a full read: rows of the table the read did not hold (nor quarantined as invalid in this
 * run) are to be marked gone, and gone rows it held again are to be marked back. Nothing changes in
 * `source_vanished` yet: the conclusions wait in `source_vanished_pending` until the run succeeds
 * (`publishVanished`), so a run that fails its checks hides nothing from serving or training. The
 * read replaces whatever an earlier run left pending; a row an earlier failed run missed that this
 * read misses too counts as gone before (two full reads agree), so the run after a source's restart
 * can pass. One statement, so the counts all describe the state before this read.
 */
export async function markVanished(pool: pg.Pool, dataset: Dataset, run: { id: number; tryNumber: number; rowsInserted: number }): Promise<VanishedCount> {
  const key = VANISHED_KEY[dataset];
  const { rows } = await pool.query<{ previous_read: string; vanished: string; returned: string; gone_before: string }>(
    `WITH seen AS MATERIALIZED (SELECT DISTINCT id, created_at FROM (${READ_KEYS}) r),
     listed AS (SELECT v.record_key FROM source_vanished v WHERE v.dataset = $1),
     pending_gone AS (SELECT p.record_key, p.first_missed_run_id, p.first_missed_at FROM source_vanished_pending p WHERE p.dataset = $1 AND NOT p.returned),
     gone_before AS (SELECT record_key FROM listed UNION SELECT record_key FROM pending_gone),
     -- A join, not EXISTS per row: past work_mem the latter scans \`seen\` once for every row (hours at 400,000 rows).
     -- A held row's key is only compared with rows gone before, mostly none: writing it was 1.4 s of 2.4 at 1 M histories.
     stored AS MATERIALIZED (
       SELECT CASE WHEN k.id IS NULL OR (SELECT EXISTS (SELECT 1 FROM gone_before)) THEN ${key} END AS record_key, k.id IS NOT NULL AS held
         FROM ${dataset} t LEFT JOIN seen k ON ${HELD[dataset]}),
     missed AS (
       SELECT r.record_key FROM stored r
        WHERE NOT r.held
          AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.run_id = $2 AND q.dataset = $1 AND q.reason_code = 'invalid' AND q.record_key = r.record_key)
          AND NOT EXISTS (SELECT 1 FROM listed l WHERE l.record_key = r.record_key)),
     back AS (SELECT r.record_key FROM stored r JOIN listed l USING (record_key) WHERE r.held),
     next AS (
       SELECT m.record_key, false AS returned, coalesce(p.first_missed_run_id, $2) AS first_missed_run_id, coalesce(p.first_missed_at, now()) AS first_missed_at
         FROM missed m LEFT JOIN pending_gone p USING (record_key)
       UNION ALL SELECT b.record_key, true, $2, now() FROM back b),
     written AS (
       INSERT INTO source_vanished_pending (dataset, record_key, returned, first_missed_run_id, first_missed_at, run_id)
       SELECT $1, record_key, returned, first_missed_run_id, first_missed_at, $2 FROM next
       ON CONFLICT (dataset, record_key) DO UPDATE SET returned = EXCLUDED.returned, first_missed_run_id = EXCLUDED.first_missed_run_id,
         first_missed_at = EXCLUDED.first_missed_at, run_id = EXCLUDED.run_id),
     -- Pending rows this read held again, or whose mark it takes back: a later run's read replaces an earlier one's.
     dropped AS (DELETE FROM source_vanished_pending p WHERE p.dataset = $1 AND NOT EXISTS (SELECT 1 FROM next n WHERE n.record_key = p.record_key))
     SELECT (SELECT count(*) FROM stored) - (SELECT count(*) FROM gone_before) AS previous_read,
            (SELECT count(*) FROM missed m WHERE NOT EXISTS (SELECT 1 FROM pending_gone p WHERE p.record_key = m.record_key)) AS vanished,
            (SELECT count(*) FROM stored r JOIN gone_before g USING (record_key) WHERE r.held) AS returned,
            (SELECT count(*) FROM gone_before) AS gone_before`,
    [dataset, run.id, run.tryNumber],
  );
  const r = rows[0]!;
  const [vanished, returned, goneBefore] = [Number(r.vanished), Number(r.returned), Number(r.gone_before)];
  // Rows this run inserted were never part of an earlier read.
  return { previousRead: Math.max(0, Number(r.previous_read) - run.rowsInserted), vanished, returned, gone: goneBefore + vanished - returned };
}

/** Once the run succeeded: what its reads concluded about vanished rows takes effect, in one statement. */
export async function publishVanished(pool: pg.Pool, runId: number): Promise<{ gone: number; back: number }> {
  const { rows } = await pool.query<{ gone: string; back: string }>(
    `WITH applied AS (DELETE FROM source_vanished_pending WHERE run_id = $1 RETURNING *),
     back AS (
       DELETE FROM source_vanished v USING applied a
        WHERE a.returned AND v.dataset = a.dataset AND v.record_key = a.record_key
       RETURNING 1),
     gone AS (
       INSERT INTO source_vanished (dataset, record_key, first_missed_at, first_missed_run_id)
       -- The run that first missed a row may have been deleted since.
       SELECT a.dataset, a.record_key, a.first_missed_at, (SELECT r.id FROM pipeline_runs r WHERE r.id = a.first_missed_run_id)
         FROM applied a WHERE NOT a.returned
       ON CONFLICT (dataset, record_key) DO NOTHING
       RETURNING 1)
     SELECT (SELECT count(*) FROM gone) AS gone, (SELECT count(*) FROM back) AS back`,
    [runId],
  );
  return { gone: Number(rows[0]!.gone), back: Number(rows[0]!.back) };
}
