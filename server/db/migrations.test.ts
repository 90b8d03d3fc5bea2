import { mkdtemp, mkdir, writeFile, cp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { MIGRATIONS_DIR, migrate, readMigrations } from "./migrations";

let database: TestDatabase | undefined;
afterEach(async () => {
  await database?.drop();
  database = undefined;
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "encore-migrations-"));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe("migrate", () => {
  it("applies every migration to an empty database and records it the way Prisma does", async () => {
    database = await createTestDatabase({ migrated: false });
    const onDisk = await readMigrations();
    const report = await migrate(database.url);
    expect(report.applied).toEqual(onDisk.map((m) => m.name));
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      database.url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(onDisk.map((m) => [m.name, m.checksum]));
    expect(rows.every((r) => r.finished_at instanceof Date && r.applied_steps_count === 1)).toBe(true);
    const tables = await query<{ table_name: string }>(database.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["tracks", "users", "listen_history", "operators", "audit_log"]));
  });

  it("is idempotent, also when two processes migrate at once", async () => {
    database = await createTestDatabase({ migrated: false });
    const [a, b] = await Promise.all([migrate(database.url), migrate(database.url)]);
    expect([...a.applied, ...b.applied].sort()).toEqual((await readMigrations()).map((m) => m.name));
    const again = await migrate(database.url);
    expect(again.applied).toEqual([]);
    const [{ count }] = (await query<{ count: string }>(database.url, `SELECT count(*) FROM _prisma_migrations`)) as [{ count: string }];
    expect(Number(count)).toBe((await readMigrations()).length);
  });

  it("refuses a migration edited after it was applied", async () => {
    database = await createTestDatabase({ migrated: false });
    const dir = await copyOfMigrations();
    await migrate(database.url, dir);
    const [first] = await readMigrations(dir);
    await writeFile(path.join(dir, first!.name, "migration.sql"), `${first!.sql}\n-- edited\n`);
    await expect(migrate(database.url, dir)).rejects.toThrow(/was edited after it was applied/);
  });

  it("rolls a failing migration back whole and records why", async () => {
    database = await createTestDatabase({ migrated: false });
    const dir = await copyOfMigrations();
    await mkdir(path.join(dir, "99990101000000_broken"));
    await writeFile(path.join(dir, "99990101000000_broken", "migration.sql"), `CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;`);
    await expect(migrate(database.url, dir)).rejects.toThrow(/99990101000000_broken failed and was rolled back/);
    const [table] = await query<{ t: string | null }>(database.url, `SELECT to_regclass('half_done')::text AS t`);
    expect(table?.t).toBeNull();
    const [row] = await query<{ logs: string; rolled_back_at: Date | null }>(
      database.url,
      `SELECT logs, rolled_back_at FROM _prisma_migrations WHERE migration_name = '99990101000000_broken'`,
    );
    expect(row?.logs).toMatch(/no_such_table/);
    expect(row?.rolled_back_at).toBeInstanceOf(Date);
  });
});
