import type { Db } from "../db/client";
import type { ObjectStore } from "../storage/store";
import { INGEST_PIPELINE, ingestParams } from "./pipeline";
import { DATASETS } from "./records";

/** A landed file's key: `<dataset>/<YYYY-MM-DD>/run-<id>/<file>`. */
const LANDED_KEY = /^[^/]+\/(\d{4}-\d{2}-\d{2})\/run-(\d+)\/[^/]+$/;

/** The day and run a landed file's key names; null for a key outside the lake's layout. */
export function landedFile(key: string): { day: string; runId: number } | null {
  const match = LANDED_KEY.exec(key);
  return match ? { day: match[1]!, runId: Number(match[2]) } : null;
}

/**
 * Ingest runs whose pages must stay whatever their age: the runs of the window (started after
 * `cutoff`) and the ingestions that kept snapshots were taken after (a kept version's lineage),
 * each with the run it replayed, since a replay lands nothing of its own and reads that run's pages.
 */
export async function runsNeedingPages(db: Db, cutoff: Date): Promise<number[]> {
  const [recent, lineage] = await Promise.all([
    db.pipelineRun.findMany({ where: { pipeline: INGEST_PIPELINE, createdAt: { gte: cutoff } }, select: { id: true } }),
    db.trainSnapshot.findMany({
      where: { ingestionRunId: { not: null }, OR: [{ createdAt: { gte: cutoff } }, { versions: { some: { artefactPrunedAt: null } } }] },
      select: { ingestionRunId: true },
    }),
  ]);
  const kept = [...recent.map((r) => r.id), ...lineage.map((s) => s.ingestionRunId!)];
  const runs = await db.pipelineRun.findMany({ where: { id: { in: kept } }, select: { id: true, params: true } });
  const replayed = runs.map((r) => ingestParams.safeParse(r.params).data?.replayOf).filter((id) => id !== undefined);
  return [...new Set([...kept, ...replayed])].sort((a, b) => a - b);
}

/**
 * Deletes the raw pages landed on a day before `cutoff`'s, except those of `needed` runs. Keys
 * outside the lake's layout are left alone. Whatever a crash leaves is deleted by the next call.
 */
export async function pruneLake(store: ObjectStore, cutoff: Date, needed: number[]): Promise<{ deletedFiles: number; prunedRuns: number[] }> {
  const cutoffDay = cutoff.toISOString().slice(0, 10);
  const keep = new Set(needed);
  const pruned = new Set<number>();
  let deletedFiles = 0;
  for (const dataset of DATASETS) {
    for (const key of await store.list(`${dataset}/`)) {
      const landed = landedFile(key);
      if (!landed || landed.day >= cutoffDay || keep.has(landed.runId)) continue;
      await store.delete(key);
      deletedFiles++;
      pruned.add(landed.runId);
    }
  }
  return { deletedFiles, prunedRuns: [...pruned].sort((a, b) => a - b) };
}
