import type { Database, Db } from "../db/client";
import type { ObjectStore } from "../storage/store";
import { NoEarlierChampionError, previousChampion } from "./queries";

/** Rows deleted by one statement: each batch commits on its own, so no transaction holds the table long. */
export const BATCH_SCORE_ROWS_PER_DELETE = 5000;

/**
 * Versions that can still be served or judged: the aliased ones, the champion a rollback returns to
 * (so it serves from batch scores at once), those of undecided experiments (draft, running or
 * stopped) and those of the train run `runId` (the latest).
 */
export async function servableVersions(db: Db, runId: number): Promise<number[]> {
  const [aliases, rollbackTarget, variants, own] = await Promise.all([
    db.modelAlias.findMany({ select: { versionId: true } }),
    previousChampion(db).catch((error: unknown) => (error instanceof NoEarlierChampionError ? null : Promise.reject(error))),
    db.experimentVariant.findMany({ where: { experiment: { status: { not: "decided" } } }, select: { versionId: true } }),
    db.modelVersion.findMany({ where: { runId }, select: { id: true } }),
  ]);
  const ids = [
    ...aliases.map((a) => a.versionId),
    ...(rollbackTarget === null ? [] : [rollbackTarget]),
    ...variants.map((v) => v.versionId),
    ...own.map((v) => v.id),
  ];
  return [...new Set(ids)].sort((a, b) => a - b);
}

/**
 * Deletes the batch scores of every version not in `kept`, `rowsPerDelete` rows a statement, stopping
 * between statements when `signal` aborts. Whatever a crash or a cancel leaves is deleted by the next
 * call, as its versions are still not kept.
 */
export async function pruneBatchScores(
  database: Database,
  kept: number[],
  { rowsPerDelete = BATCH_SCORE_ROWS_PER_DELETE, signal, onDeleted }: { rowsPerDelete?: number; signal?: AbortSignal; onDeleted?: (rows: number) => void } = {},
): Promise<{ versions: number[]; rows: number }> {
  // One probe of the primary key per version, not a scan of the table.
  const { rows: stale } = await database.pool.query<{ id: number }>(
    `SELECT id FROM model_versions v WHERE NOT (id = ANY($1::int[])) AND EXISTS (SELECT 1 FROM recommendations r WHERE r.version_id = v.id) ORDER BY id`,
    [kept],
  );
  let rows = 0;
  for (const { id } of stale) {
    for (;;) {
      signal?.throwIfAborted();
      const { rowCount } = await database.pool.query(
        `DELETE FROM recommendations WHERE version_id = $1 AND user_id IN (SELECT user_id FROM recommendations WHERE version_id = $1 ORDER BY user_id LIMIT $2)`,
        [id, rowsPerDelete],
      );
      rows += rowCount ?? 0;
      onDeleted?.(rows);
      if ((rowCount ?? 0) < rowsPerDelete) break;
    }
  }
  return { versions: stale.map((s) => s.id), rows };
}

/** The key of a recorded location, or null when it is in another store (one the deployment used before). */
function keyIn(store: ObjectStore, location: string): string | null {
  try {
    return store.keyOf(location);
  } catch {
    return null;
  }
}

/**
 * Deletes the snapshot files under `snapshots/` that no kept snapshot uses: one is kept when it was
 * taken after `cutoff`, is the run `runId`'s, or a version whose artefact is kept was trained on it.
 * Rows stay (a version's lineage: counts and digest). Files are content-addressed, so one file may
 * serve several rows: it goes only when none of them is kept.
 */
export async function pruneSnapshots(db: Db, store: ObjectStore, cutoff: Date, runId: number): Promise<{ deleted: string[]; kept: number }> {
  const kept = await db.trainSnapshot.findMany({
    where: { OR: [{ createdAt: { gte: cutoff } }, { runId }, { versions: { some: { artefactPrunedAt: null } } }] },
    select: { path: true },
  });
  const keys = new Set(kept.map((s) => keyIn(store, s.path)));
  const deleted: string[] = [];
  for (const key of await store.list("snapshots/")) {
    if (keys.has(key)) continue;
    await store.delete(key);
    deleted.push(key);
  }
  return { deleted, kept: keys.size };
}
