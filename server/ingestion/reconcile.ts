import type pg from "pg";
import type { TaskContext } from "../pipeline/types";
import { readLandedPages } from "./lake";
import { DATASETS, type Dataset, type ListenHistoryRecord } from "./records";
import { validateRecord } from "./validate";

export interface DatasetReconciliation {
  /** records the source sent, repeats included */
  fetched: number;
  /** failed validation; each is in quarantine */
  invalid: number;
  invalidQuarantined: number;
  /** distinct natural keys among the valid records */
  distinct: number;
  repeats: number;
  inTable: number;
  /** histories waiting in quarantine for their user */
  waitingForUser: number;
  /** keys neither in the table nor in quarantine: must be none */
  missing: string[];
  holds: boolean;
}

async function countPresent(pool: pg.Pool, dataset: Dataset, keys: Map<string, unknown>): Promise<Set<string>> {
  if (dataset === "listen_history") {
    const histories = [...keys.values()] as ListenHistoryRecord[];
    const { rows } = await pool.query<{ key: string }>(
      `SELECT k.key FROM unnest($1::int[], $2::timestamptz[], $3::text[]) AS k(user_id, created_at, key)
        WHERE EXISTS (SELECT 1 FROM listen_history h WHERE h.user_id = k.user_id AND h.created_at = k.created_at)`,
      [histories.map((h) => h.user_id), histories.map((h) => h.created_at), [...keys.keys()]],
    );
    return new Set(rows.map((r) => r.key));
  }
  const { rows } = await pool.query<{ id: number }>(`SELECT id FROM ${dataset} WHERE id = ANY($1::int[])`, [[...keys.keys()].map(Number)]);
  return new Set(rows.map((r) => String(r.id)));
}

/** Checks one dataset of a run: every record it landed is in its table or in this run's quarantine. */
export async function reconcileDataset(ctx: TaskContext, dataset: Dataset, lakeDir: string, landedBy: number): Promise<DatasetReconciliation> {
  const { pool } = ctx.database;
  let fetched = 0;
  let invalid = 0;
  const keys = new Map<string, unknown>();
  for await (const page of readLandedPages(lakeDir, dataset, landedBy)) {
    for (const raw of page.items) {
      fetched++;
      const result = validateRecord(dataset, raw);
      if (result.ok) keys.set(result.key, result.record);
      else invalid++;
    }
  }
  const present = await countPresent(pool, dataset, keys);
  const absent = [...keys.keys()].filter((k) => !present.has(k));
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
  return {
    fetched,
    invalid,
    invalidQuarantined,
    distinct: keys.size,
    repeats: fetched - invalid - keys.size,
    inTable: present.size,
    waitingForUser: waitingKeys.size,
    missing: missing.slice(0, 20),
    holds: missing.length === 0 && invalidQuarantined >= invalid,
  };
}

/** The run's proof that nothing was lost: counts per dataset, stored on the task; fails if any dataset does not add up. */
export async function reconcileRun(ctx: TaskContext, lakeDir: string, landedBy: number): Promise<void> {
  const results: Partial<Record<Dataset, DatasetReconciliation>> = {};
  for (const dataset of DATASETS) {
    const r = await reconcileDataset(ctx, dataset, lakeDir, landedBy);
    results[dataset] = r;
    ctx.log(
      `${dataset}: fetched ${r.fetched} = ${r.distinct} distinct + ${r.repeats} repeats + ${r.invalid} invalid; ` +
        `${r.inTable} in table + ${r.waitingForUser} waiting for their user; ${r.invalidQuarantined} quarantined as invalid` +
        (r.holds ? "" : `; MISSING ${r.missing.join(", ")}`),
    );
  }
  ctx.detail({ reconciliation: results });
  const broken = DATASETS.filter((d) => !results[d]!.holds);
  if (broken.length) throw new Error(`reconciliation does not hold for ${broken.join(", ")}: see the task's details`);
}
