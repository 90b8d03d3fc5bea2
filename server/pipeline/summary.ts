import type { Db } from "../db/client";

/** One line: how the run ended, how long it took, and the rows of each task. */
export async function runSummary(db: Db, runId: number): Promise<string> {
  const run = await db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, include: { tasks: { orderBy: [{ id: "asc" }] } } });
  const seconds = run.startedAt && run.finishedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1) : "?";
  const latest = new Map(run.tasks.map((t) => [t.task, t]));
  const tasks = [...latest.values()]
    .filter((t) => t.rowsFetched > 0 || t.status !== "success")
    .map((t) =>
      t.status === "success"
        ? `${t.task} ${t.rowsFetched} fetched (+${t.rowsInserted} new, ${t.rowsUpdated} updated, ${t.rowsUnchanged} unchanged, ${t.rowsRejected} quarantined)`
        : `${t.task} ${t.status}`,
    );
  return `${run.pipeline} run ${run.id} ${run.status} in ${seconds} s: ${tasks.join("; ")}${run.error ? ` | ${run.error.split("\n")[0]}` : ""}`;
}
