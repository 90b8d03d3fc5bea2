import type { Db } from "../db/client";
import { INGEST_PIPELINE } from "./pipeline";

/** The pipeline at a glance: the run going (with each task's progress), the last ended run, the last success. */
export async function ingestionStatus(db: Db) {
  const taskFields = {
    select: { task: true, tryNumber: true, status: true, pagesDone: true, pagesTotal: true, rowsFetched: true, rowsRejected: true, error: true },
    orderBy: { id: "asc" as const },
  };
  const [running, lastEnded, lastSuccess] = await Promise.all([
    db.pipelineRun.findFirst({
      where: { pipeline: INGEST_PIPELINE, status: { in: ["queued", "running"] } },
      orderBy: { id: "desc" },
      include: { tasks: taskFields },
    }),
    db.pipelineRun.findFirst({
      where: { pipeline: INGEST_PIPELINE, status: { in: ["success", "failed"] } },
      orderBy: { id: "desc" },
      include: { tasks: taskFields },
    }),
    db.pipelineRun.findFirst({ where: { pipeline: INGEST_PIPELINE, status: "success" }, orderBy: { id: "desc" }, select: { id: true, finishedAt: true } }),
  ]);
  return { running, lastEnded, lastSuccess };
}
