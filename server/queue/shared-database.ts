import type { Env } from "../config/env";
import { migrate } from "../db/migrations";
import { assertDatabaseReachable } from "../db/reachability";
import { ensurePrivateDir } from "../runtime/private-files";
import { lakeDir } from "../storage/open";

/**
 * The PostgreSQL in DATABASE_URL that web processes and workers share: reachable and migrated (by
 * whichever comes first). Never an embedded one: its package ends the process on SIGTERM, before a
 * worker hands its runs back or a web process drains.
 */
export async function openSharedDatabase(env: Env, processName: string): Promise<string> {
  if (!env.DATABASE_URL)
    throw new Error(
      `${processName} needs DATABASE_URL: the PostgreSQL that holds the run ledger and the queue, shared by the web processes and the workers. On one machine, npm start runs everything.`,
    );
  if (env.STORAGE_URL === undefined) await ensurePrivateDir(lakeDir(env));
  await assertDatabaseReachable(env.DATABASE_URL);
  await migrate(env.DATABASE_URL);
  return env.DATABASE_URL;
}
