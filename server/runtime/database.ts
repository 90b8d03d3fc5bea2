import { existsSync } from "node:fs";
import path from "node:path";
import { ensureFirstAdmin, type FirstAdmin } from "../auth/accounts";
import { createDatabase } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrate, type MigrationReport } from "../db/migrations";
import { assertDatabaseReachable } from "../db/reachability";
import type { Env } from "../config/env";
import { lakeDir } from "../storage/open";
import { ensurePrivateDir } from "./private-files";
import { localSecrets } from "./secrets";

export interface OpenedDatabase {
  url: string;
  embedded: boolean;
  migrations: MigrationReport;
  stop(): Promise<void>;
}

/** The database in DATABASE_URL, or an embedded one under DATA_DIR; reachable and migrated. */
export async function openDatabase(env: Env, log: (line: string) => void, { callerHandlesSignals = false } = {}): Promise<OpenedDatabase> {
  // What lands there (pages with e-mail addresses, generated secrets) is for this user alone. As root,
  // an embedded cluster in DATA_DIR/pg runs as `postgres` and must pass through, also when this
  // process uses DATABASE_URL while another (say `npm start`) serves that cluster: closing DATA_DIR
  // under it made its next checkpoint fail (PANIC) and the cluster stop.
  const embeddedHere = env.DATABASE_URL === undefined || existsSync(path.join(env.DATA_DIR, "pg"));
  await ensurePrivateDir(env.DATA_DIR, { traversable: embeddedHere && process.getuid?.() === 0 });
  if (env.STORAGE_URL === undefined) await ensurePrivateDir(lakeDir(env));
  let url = env.DATABASE_URL;
  let stop = async () => {};
  if (url === undefined) {
    log(`Starting the embedded PostgreSQL (data in ${path.join(env.DATA_DIR, "pg")}, port ${env.EMBEDDED_PG_PORT})…`);
    const server = await startEmbeddedPostgres({
      dir: path.resolve(env.DATA_DIR, "pg"),
      port: env.EMBEDDED_PG_PORT,
      password: (await localSecrets(env.DATA_DIR)).postgresPassword,
      database: "encore",
      callerHandlesSignals,
    });
    url = server.url;
    stop = server.stop;
  }
  try {
    await assertDatabaseReachable(url);
    return { url, embedded: env.DATABASE_URL === undefined, migrations: await migrate(url), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface Runtime extends OpenedDatabase {
  nextauthSecret: string;
  cronSecret: string | undefined;
  firstAdmin: FirstAdmin;
}

/** Everything the app needs before it serves: the database, the secrets and a first admin. */
export async function prepareRuntime(env: Env, log: (line: string) => void): Promise<Runtime> {
  // Its callers stop the database themselves on SIGTERM, after their web and worker processes.
  const database = await openDatabase(env, log, { callerHandlesSignals: true });
  const connection = createDatabase(database.url, 2);
  try {
    // Generated secrets serve the embedded default and development; production brings its own (checked in env.ts).
    const secrets = database.embedded || !env.NEXTAUTH_SECRET ? await localSecrets(env.DATA_DIR) : undefined;
    const firstAdmin = await ensureFirstAdmin(connection.db, { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
    return {
      ...database,
      nextauthSecret: env.NEXTAUTH_SECRET ?? secrets!.nextauthSecret,
      cronSecret: env.CRON_SECRET ?? secrets?.cronSecret,
      firstAdmin,
    };
  } catch (error) {
    await database.stop();
    throw error;
  } finally {
    await connection.close();
  }
}
