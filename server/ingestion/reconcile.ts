import type pg from "pg";
import { writeOutput } from "../pipeline/outputs";
import type { TaskContext } from "../pipeline/types";
import { readManifest } from "./lake";
import type { ObjectStore } from "../storage/store";
import { DATASETS, type Dataset } from "./records";
import { reconcileOutput, type DatasetReconciliation } from "./outputs";
import { markVanished } from "./vanished";

/**
 * A PostgreSQL array literal, built by hand: the keys are validated ids and timestamps, which need
 * no quoting, and pg's own serialisation of 100,000s of elements costs more than the query.
 */
const arrayLiteral = (values: string[]) => `{${values.join(",")}}`;

/** The keys as array literals: ids, or a history's user ids and created_at times (its key is user_id@created_at). */
function keyArrays(dataset: Dataset, keys: string[]): [string] | [string, string] {
  if (dataset !== "listen_history") return [arrayLiteral(keys)];
  const at = keys.map((k) => k.indexOf("@"));
  return [arrayLiteral(keys.map((k, n) => k.slice(0, at[n]))), arrayLiteral(keys.map((k, n) => k.slice(at[n]! + 1)))];
}

/** The keys of `keys` with no row in the dataset's table: normally none, so next to nothing comes back. */
async function absentKeys(pool: pg.Pool, dataset: Dataset, keys: string[], arrays: [string] | [string, string]): Promise<string[]> {
  if (dataset !== "listen_history") {
    const { rows } = await pool.query<{ key: string }>(
      `SELECT k.id::text AS key FROM unnest($1::int[]) AS k(id) WHERE NOT EXISTS (SELECT 1 FROM ${dataset} t WHERE t.id = k.id)`,
      arrays,
    );
    return rows.map((r) => r.key);
  }
  const { rows } = await pool.query<{ i: number }>(
    `SELECT k.i FROM unnest($1::int[], $2::timestamptz[]) WITH ORDINALITY AS k(user_id, created_at, i)
      WHERE NOT EXISTS (SELECT 1 FROM listen_history h WHERE h.user_id = k.user_id AND h.created_at = k.created_at)`,
    arrays,
  );
  return rows.map((r) => keys[Number(r.i) - 1]!);
}

/** Rows the dataset's task inserted in this run, over all its tries (a failed try's rows stay inserted). */
async function rowsInserted(ctx: TaskContext, dataset: Dataset): Promise<number> {
  const tries = await ctx.database.db.taskRun.aggregate({ where: { runId: ctx.run.id, task: dataset }, _sum: { rowsInserted: true } });
  return tries._sum.rowsInserted ?? 0;
}

/** Checks one dataset of the run: every record its ingest task saw is in its table or in this run's quarantine. */
export async function reconcileDataset(ctx: TaskContext, dataset: Dataset, store: ObjectStore): Promise<DatasetReconciliation> {
  const { pool } = ctx.database;
  const manifest = await readManifest(store, dataset, ctx.run.id);
  if (!manifest) throw new Error(`no manifest for ${dataset} in run ${ctx.run.id}: its ingest task did not finish`);
  const arrays = keyArrays(dataset, manifest.keys);
  const absent = await absentKeys(pool, dataset, manifest.keys, arrays);
  const { rows: waiting } = await pool.query<{ record_key: string }>(
    `SELECT DISTINCT record_key FROM quarantine WHERE run_id = $1 AND dataset = $2 AND reason_code = 'unknown_user' AND record_key = ANY($3::text[])`,
    [ctx.run.id, dataset, absent],
  );
  const waitingKeys = new Set(waiting.map((r) => r.record_key));
  const { rows: quarantined } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM quarantine WHERE run_id = $1 AND dataset = $2 AND reason_code = 'invalid'`,
    [ctx.run.id, dataset],
  );
  const missing = absent.filter((k) => !waitingKeys.has(k));
  const invalidQuarantined = Number(quarantined[0]!.n);
  const shortfall = manifest.source ? Math.max(0, manifest.source.total - manifest.source.fetched) : 0;
  const holds = missing.length === 0 && invalidQuarantined >= manifest.invalid && shortfall === 0;
  // Only a read of the source that added up tells what it no longer holds.
  const vanished = holds && manifest.source ? await markVanished(pool, dataset, { id: ctx.run.id, rowsInserted: await rowsInserted(ctx, dataset) }, arrays) : null;
  return {
    fetched: manifest.fetched,
    invalid: manifest.invalid,
    invalidQuarantined,
    distinct: manifest.keys.length,
    repeats: manifest.fetched - manifest.invalid - manifest.keys.length,
    sourceRepeats: manifest.sourceRepeats,
    inTable: manifest.keys.length - absent.length,
    waitingForUser: waitingKeys.size,
    source: manifest.source ?? null,
    shortfall,
    missing: missing.slice(0, 20),
    holds,
    vanished,
  };
}

/** The run's proof that nothing was lost: counts per dataset, stored on the task; fails if any dataset does not add up. */
export async function reconcileRun(ctx: TaskContext, store: ObjectStore): Promise<void> {
  // The datasets are independent: checked at once, logged in order.
  const all = await Promise.all(DATASETS.map((dataset) => reconcileDataset(ctx, dataset, store)));
  const results: Partial<Record<Dataset, DatasetReconciliation>> = {};
  for (const [i, dataset] of DATASETS.entries()) {
    const r = all[i]!;
    results[dataset] = r;
    ctx.log(
      `${dataset}: fetched ${r.fetched} = ${r.distinct} distinct + ${r.repeats} repeats + ${r.invalid} invalid; ` +
        `${r.inTable} in table + ${r.waitingForUser} waiting for their user; ${r.invalidQuarantined} quarantined as invalid` +
        (r.shortfall ? `; SHORT: the source said it holds ${r.source!.total}, its read gave ${r.source!.fetched}` : "") +
        (r.missing.length ? `; MISSING ${r.missing.join(", ")}` : "") +
        (r.vanished ? `; ${r.vanished.vanished} no longer served, ${r.vanished.returned} back, ${r.vanished.gone} gone in all (taking effect when the run succeeds)` : ""),
    );
  }
  writeOutput(ctx, reconcileOutput, { reconciliation: results });
  const broken = DATASETS.filter((d) => !results[d]!.holds);
  if (broken.length) {
    const why = (d: Dataset) => {
      const r = results[d]!;
      return r.shortfall ? `${d}: the source said it holds ${r.source!.total} records, ${r.source!.fetched} were fetched` : `${d}: records missing from the table, see the task's details`;
    };
    throw new Error(`reconciliation does not hold: ${broken.map(why).join("; ")}`);
  }
}
