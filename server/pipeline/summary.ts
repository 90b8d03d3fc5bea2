import type { Db } from "../db/client";
import { describeOutcome, runOutcome } from "../monitoring/run-outcome";

/** One line: how the run ended, how long it took, the rows of each task, and what it concluded (versions, a decision, experiments). */
export async function runSummary(db: Db, runId: number): Promise<string> {
  const run = await db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, include: { tasks: { orderBy: [{ id: "asc" }] } } });
  const seconds = run.startedAt && run.finishedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1) : "?";
  const latest = new Map(run.tasks.map((t) => [t.task, t]));
  const tasks = [...latest.values()]
    .filter((t) => t.rowsFetched > 0 || (t.status !== "success" && run.status !== "skipped"))
    .map((t) =>
      t.status === "success"
        ? `${t.task} ${t.rowsFetched} fetched (+${t.rowsInserted} new, ${t.rowsUpdated} updated, ${t.rowsUnchanged} unchanged, ${t.rowsRejected} quarantined)`
        : `${t.task} ${t.status}`,
    );
  const outcome = run.status === "skipped" ? null : await runOutcome(db, run);
  const parts = [...tasks, ...(outcome ? [describeOutcome(outcome)] : [])];
  return `${run.pipeline} run ${run.id} ${run.status} in ${seconds} s${parts.length ? `: ${parts.join("; ")}` : ""}${run.error ? ` | ${run.error.split("\n")[0]}` : ""}`;
}
