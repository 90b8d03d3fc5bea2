import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDatabase, type Database } from "../db/client";
import { migrate } from "../db/migrations";

export interface TestDatabase extends Database {
  url: string;
  /**
   * A PostgreSQL restart or failover as clients see it: `true` ends every session and lets none in
   * until `false` (no mock: the server itself refuses).
   */
  setOutage(down: boolean): Promise<void>;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database of its own (migrated unless `migrated: false`), so test files share no state. */
export async function createTestDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const name = `encore_test_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(inject("adminDatabaseUrl"));
  url.pathname = `/${name}`;
  if (migrated) await migrate(url.toString());
  const database = createDatabase(url.toString());
  return {
    ...database,
    url: url.toString(),
    setOutage: (down) =>
      admin(async (c) => {
        await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${!down}`);
        if (down) await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [name]);
      }),
    async drop() {
      await database.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
