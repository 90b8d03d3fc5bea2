import type { Db } from "./client";
import { readMigrations } from "./migrations";
import { isDatabaseUnavailable } from "./unavailable";

/** Pending migrations are listed only when they could be read: an unreachable database says nothing about them. */
export type Readiness =
  | { ready: boolean; database: "reachable"; pendingMigrations: string[] }
  | { ready: false; database: "unreachable" | "error"; message: string };

async function appliedMigrationNames(db: Db): Promise<Set<string>> {
  const [ledger] = await db.$queryRaw<{ exists: boolean }[]>`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`;
  if (!ledger?.exists) return new Set();
  const rows = await db.$queryRaw<{ migration_name: string }[]>`
    SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  return new Set(rows.map((r) => r.migration_name));
}

/** Ready when the database answers and every migration on disk is applied. */
export async function checkReadiness(db: Db): Promise<Readiness> {
  const onDisk = (await readMigrations()).map((m) => m.name);
  try {
    const applied = await appliedMigrationNames(db);
    const pendingMigrations = onDisk.filter((name) => !applied.has(name));
    return { ready: pendingMigrations.length === 0, database: "reachable", pendingMigrations };
  } catch (error) {
    console.error("readiness: database query failed:", error instanceof Error ? error.message : error);
    if (isDatabaseUnavailable(error))
      return { ready: false, database: "unreachable", message: "The database cannot be reached, so which migrations are applied is unknown." };
    return { ready: false, database: "error", message: "Reading the applied migrations failed; the cause is in the server's log." };
  }
}
