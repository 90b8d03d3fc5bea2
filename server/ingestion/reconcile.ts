import type pg from "pg";
import { queryByHashJoins } from "../db/hash-joins";
import { readOutput, writeOutput } from "../pipeline/outputs";
import type { TaskContext } from "../pipeline/types";
import { DATASETS, type Dataset } from "./records";
import { datasetReads, reconcileOutput, type DatasetReconciliation } from "./outputs";
import { markVanished, READ_KEYS } from "./vanished";

/** How a key read matches a row of the dataset's table (`k`: a key read, `t`: a row of the table), and a column of `t` that is null only without a match. */
const IN_TABLE: Record<Dataset, { on: string; column: string }> = {
  tracks: { on: "t.id = k.id", column: "t.id" },
  users: { on: "t.id = k.id", column: "t.id" },
  listen_history: { on: "t.user_id = k.id AND t.created_at = k.created_at", column: "t.user_id" },
};

/** A key as the source writes it: `id`, or `user_id@created_at` (UTC, without a zero fraction). */
const KEY_TEXT: Record<Dataset, string> = {
  tracks: "k.id::text",
  users: "k.id::text",
  listen_history: `k.id::text || '@' || to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ||
    CASE WHEN extract(microseconds FROM k.created_at)::bigint % 1000000 = 0 THEN '' ELSE rtrim(to_char(k.created_at AT TIME ZONE 'UTC', '.US'), '0') END`,
};

/** The histories of this run waiting in quarantine for their user, by their key (only such payloads are valid records, so only they are read as JSON). */
const WAITING = `
  SELECT DISTINCT (q.payload::jsonb->>'user_id')::int AS id, (q.payload::jsonb->>'created_at')::timestamptz AS created_at
    FROM quarantine q WHERE q.run_id = $2 AND q.dataset = $1 AND q.reason_code = 'unknown_user'`;

interface KeyCounts {
  /** valid records read, repeats included */
  read: number;
  distinct: number;
  sourceRepeats: number;
  inTable: number;
  waitingForUser: number;
  /** keys neither in the table nor waiting (the first 20) */
  missing: string[];
}

/**
 * Counts the keys one try read, in one statement over `ingest_read_keys`: the distinct ones, those
 * the source sent twice within one read, those in the table, those waiting for their user, and the
 * first of any that are neither. The process holds none of them.
 */
async function countKeys(pool: pg.Pool, dataset: Dataset, runId: number, tryNumber: number): Promise<KeyCounts> {
  const { rows } = await queryByHashJoins<{
    read: string;
    distinct: string;
    source_repeats: string;
    in_table: string;
    waiting: string;
    missing: string[] | null;
  }>(
    pool,
    `WITH per_read AS (
       SELECT pass, id, created_at, count(*) AS n FROM (${READ_KEYS}) r GROUP BY pass, id, created_at),
     -- Keys are unique in the table, so each key read joins at most one row.
     k AS MATERIALIZED (
       SELECT k.id, k.created_at, ${IN_TABLE[dataset].column} IS NOT NULL AS in_table
         FROM (SELECT DISTINCT id, created_at FROM per_read) k LEFT JOIN ${dataset} t ON ${IN_TABLE[dataset].on}),
     waiting AS (${dataset === "listen_history" ? WAITING : "SELECT NULL::int AS id, NULL::timestamptz AS created_at WHERE false"}),
     absent AS (
       SELECT k.id, k.created_at, w.id IS NOT NULL AS waiting FROM k LEFT JOIN waiting w ON w.id = k.id AND w.created_at = k.created_at WHERE NOT k.in_table)
     SELECT (SELECT coalesce(sum(n), 0) FROM per_read) AS read,
            (SELECT coalesce(sum(n - 1), 0) FROM per_read) AS source_repeats,
            (SELECT count(*) FROM k) AS distinct,
            (SELECT count(*) FROM k WHERE k.in_table) AS in_table,
            (SELECT count(*) FROM absent WHERE waiting) AS waiting,
            (SELECT array_agg(key) FROM (SELECT ${KEY_TEXT[dataset]} AS key FROM absent k WHERE NOT waiting ORDER BY k.id, k.created_at LIMIT 20) m) AS missing`,
    [dataset, runId, tryNumber],
  );
  const r = rows[0]!;
  return {
    read: Number(r.read),
    distinct: Number(r.distinct),
    sourceRepeats: Number(r.source_repeats),
    inTable: Number(r.in_table),
    waitingForUser: Number(r.waiting),
    missing: r.missing ?? [],
  };
}

/** Rows the dataset's task inserted in this run, over all its tries (a failed try's rows stay inserted). */
async function rowsInserted(ctx: TaskContext, dataset: Dataset): Promise<number> {
  const tries = await ctx.database.db.taskRun.aggregate({ where: { runId: ctx.run.id, task: dataset }, _sum: { rowsInserted: true } });
  return tries._sum.rowsInserted ?? 0;
}

/** Checks one dataset of the run: every record its ingest task saw is in its table or in this run's quarantine. */
export async function reconcileDataset(ctx: TaskContext, dataset: Dataset): Promise<DatasetReconciliation> {
  const { pool } = ctx.database;
  const { read } = await readOutput(ctx.database.db, ctx.run.id, datasetReads[dataset]);
  const keys = await countKeys(pool, dataset, ctx.run.id, read.tryNumber);
  const { rows: quarantined } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM quarantine WHERE run_id = $1 AND dataset = $2 AND reason_code = 'invalid'`,
    [ctx.run.id, dataset],
  );
  const invalidQuarantined = Number(quarantined[0]!.n);
  const shortfall = read.source ? Math.max(0, read.source.total - read.source.fetched) : 0;
  // Every valid record read left its key: fewer keys than records means some were never recorded.
  const unrecorded = read.fetched - read.invalid - keys.read;
  const holds = keys.missing.length === 0 && unrecorded === 0 && invalidQuarantined >= read.invalid && shortfall === 0;
  // Only a read of the source that added up tells what it no longer holds.
  const vanished =
    holds && read.source
      ? await markVanished(pool, dataset, { id: ctx.run.id, tryNumber: read.tryNumber, rowsInserted: await rowsInserted(ctx, dataset) })
      : null;
  return {
    fetched: read.fetched,
    invalid: read.invalid,
    invalidQuarantined,
    distinct: keys.distinct,
    repeats: read.fetched - read.invalid - keys.distinct,
    sourceRepeats: keys.sourceRepeats,
    inTable: keys.inTable,
    waitingForUser: keys.waitingForUser,
    source: read.source,
    shortfall,
    unrecorded,
    missing: keys.missing,
    holds,
    vanished,
  };
}

/** The run's proof that nothing was lost: counts per dataset, stored on the task; fails if any dataset does not add up. */
export async function reconcileRun(ctx: TaskContext): Promise<void> {
  // The datasets are independent: checked at once, logged in order.
  const all = await Promise.all(DATASETS.map((dataset) => reconcileDataset(ctx, dataset)));
  const results: Partial<Record<Dataset, DatasetReconciliation>> = {};
  for (const [i, dataset] of DATASETS.entries()) {
    const r = all[i]!;
    results[dataset] = r;
    ctx.log(
      `${dataset}: fetched ${r.fetched} = ${r.distinct} distinct + ${r.repeats} repeats + ${r.invalid} invalid; ` +
        `${r.inTable} in table + ${r.waitingForUser} waiting for their user; ${r.invalidQuarantined} quarantined as invalid` +
        (r.shortfall ? `; SHORT: the source said it holds ${r.source!.total}, its read gave ${r.source!.fetched}` : "") +
        (r.unrecorded ? `; ${r.unrecorded} valid records left no key` : "") +
        (r.missing.length ? `; MISSING ${r.missing.join(", ")}` : "") +
        (r.vanished
          ? `; ${r.vanished.vanished} no longer served, ${r.vanished.returned} back, ${r.vanished.gone} gone in all (taking effect when the run succeeds)`
          : ""),
    );
  }
  writeOutput(ctx, reconcileOutput, { reconciliation: results });
  const broken = DATASETS.filter((d) => !results[d]!.holds);
  if (broken.length) {
    const why = (d: Dataset) => {
      const r = results[d]!;
      return r.shortfall
        ? `${d}: the source said it holds ${r.source!.total} records, ${r.source!.fetched} were fetched`
        : `${d}: records missing from the table, see the task's details`;
    };
    throw new Error(`reconciliation does not hold: ${broken.map(why).join("; ")}`);
  }
}
