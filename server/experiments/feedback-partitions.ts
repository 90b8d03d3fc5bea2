import type pg from "pg";
import { inTransaction } from "../db/transaction";

/** Months ahead of this one that always have a partition, so the app's events land in theirs. */
const MONTHS_AHEAD = 2;
/** The partitions `feedback_events_partition` makes: one per UTC month. */
const MONTH_PARTITION = /^feedback_events_(\d{4})_(\d{2})$/;

export interface FeedbackPartitioning {
  /** events before this moment go (the configured days, held back by an undecided experiment) */
  cutoff: Date;
  /** the undecided experiment whose start held the cutoff back, if any */
  heldBy: string | null;
  created: string[];
  dropped: string[];
  /** events of the default partition (months without one) deleted for being before the cutoff */
  deletedFromDefault: number;
}

/** A partition of feedback_events: a month (`YYYY-MM`), or the default one (`month` null). */
export interface FeedbackPartition {
  name: string;
  month: string | null;
  /** PostgreSQL's estimate (as of its last analyze): counting billions of rows is not worth it */
  rowsEstimate: number;
  bytes: number;
}

/** The partitions of feedback_events, oldest month first, the default one last. */
export async function feedbackPartitions(pool: pg.Pool): Promise<FeedbackPartition[]> {
  const { rows } = await pool.query<{ name: string; rows: string; bytes: string }>(
    `SELECT c.relname AS name, greatest(c.reltuples, 0)::bigint AS rows, pg_total_relation_size(c.oid) AS bytes
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'feedback_events'::regclass ORDER BY c.relname`,
  );
  const partitions = rows.map((r) => {
    const month = MONTH_PARTITION.exec(r.name);
    return { name: r.name, month: month ? `${month[1]}-${month[2]}` : null, rowsEstimate: Number(r.rows), bytes: Number(r.bytes) };
  });
  return [...partitions.filter((p) => p.month !== null), ...partitions.filter((p) => p.month === null)];
}

/** The month partitions by name, with the first moment after each. */
async function monthPartitions(pool: pg.Pool): Promise<Map<string, Date>> {
  const months = new Map<string, Date>();
  for (const { name, month } of await feedbackPartitions(pool)) {
    if (month) months.set(name, new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1)));
  }
  return months;
}

/**
 * The feedback events' partitions, kept: a partition for this month and the next ones, and for any
 * kept month whose events sit in the default partition; the months wholly before the cutoff dropped
 * (`keepDays` before `now`, or the start of the earliest experiment not yet decided, whose analysis
 * reads its events). Dropping a partition is instant and leaves nothing to vacuum.
 */
export async function maintainFeedbackPartitions(pool: pg.Pool, keepDays: number, now = new Date()): Promise<FeedbackPartitioning> {
  const { rows: holding } = await pool.query<{ key: string; started_at: Date }>(
    `SELECT key, started_at FROM experiments WHERE status IN ('running', 'stopped') AND started_at IS NOT NULL ORDER BY started_at LIMIT 1`,
  );
  const configured = new Date(now.getTime() - keepDays * 86_400_000);
  const held = holding[0] && holding[0].started_at < configured ? holding[0] : null;
  const cutoff = held ? held.started_at : configured;
  const before = await monthPartitions(pool);
  await pool.query(
    `SELECT feedback_events_partition(m)
       FROM (SELECT DISTINCT date_trunc('month', at, 'UTC') AS m FROM feedback_events_default WHERE at >= $2
             UNION SELECT (date_trunc('month', $1::timestamptz, 'UTC') AT TIME ZONE 'UTC' + make_interval(months => n)) AT TIME ZONE 'UTC'
               FROM generate_series(0, $3::int) n) months ORDER BY m`,
    [now, cutoff, MONTHS_AHEAD],
  );
  const after = await monthPartitions(pool);
  const dropped = [...after].filter(([, end]) => end <= cutoff).map(([name]) => name);
  const deletedFromDefault = await inTransaction(pool, async (client) => {
    for (const name of dropped) await client.query(`DROP TABLE "${name}"`);
    return (await client.query("DELETE FROM feedback_events_default WHERE at < $1", [cutoff])).rowCount ?? 0;
  });
  return {
    cutoff,
    heldBy: held?.key ?? null,
    created: [...after.keys()].filter((name) => !before.has(name)).sort(),
    dropped: dropped.sort(),
    deletedFromDefault,
  };
}
