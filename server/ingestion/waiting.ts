import type { TaskContext } from "../pipeline/types";
import { listenHistoryRecord } from "./records";
import { copyLine, loadBatch } from "./load";

interface WaitingRow {
  id: string;
  payload: string;
}

/**
 * Histories quarantined by earlier runs because their user was unknown: those whose user has arrived
 * are loaded now (newest version wins) and marked resolved by this run.
 */
export async function loadHistoriesWhoseUserArrived(ctx: TaskContext): Promise<void> {
  const { pool } = ctx.database;
  const { rows } = await pool.query<WaitingRow>(
    `SELECT q.id, q.payload FROM quarantine q
      WHERE q.dataset = 'listen_history' AND q.reason_code = 'unknown_user' AND q.resolved_at IS NULL AND q.run_id <> $1
        -- Only unknown_user payloads are valid records, so only they are read as JSON.
        AND EXISTS (SELECT 1 FROM users u WHERE u.id = (CASE WHEN q.reason_code = 'unknown_user' THEN q.payload::jsonb->>'user_id' END)::int)`,
    [ctx.run.id],
  );
  if (rows.length === 0) return;
  const copyText = rows.map((r) => copyLine("listen_history", listenHistoryRecord.parse(JSON.parse(r.payload)))).join("");
  const result = await loadBatch(pool, ctx.run.id, "listen_history", [Buffer.from(copyText)], []);
  await pool.query(`UPDATE quarantine SET resolved_at = now(), resolved_run_id = $1 WHERE id = ANY($2::bigint[])`, [ctx.run.id, rows.map((r) => r.id)]);
  ctx.count({ rowsInserted: result.inserted, rowsUpdated: result.updated, rowsUnchanged: result.unchanged });
  ctx.log(`loaded ${rows.length} history record(s) from quarantine whose user has arrived (${result.inserted} new, ${result.updated} updated)`);
  ctx.detail({ resolvedFromQuarantine: rows.length });
}
