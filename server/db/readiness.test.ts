import { afterAll, beforeAll, expect, it } from "vitest";
import { createDatabase } from "./client";
import { readMigrations } from "./migrations";
import { checkReadiness } from "./readiness";
import { freePort } from "../runtime/ports";
import { createTestDatabase, type TestDatabase } from "../testing/database";

let migrated: TestDatabase;
let empty: TestDatabase;
beforeAll(async () => {
  [migrated, empty] = await Promise.all([createTestDatabase(), createTestDatabase({ migrated: false })]);
});
afterAll(() => Promise.all([migrated.drop(), empty.drop()]));

it("is ready when every migration is applied, and lists the pending ones of a database it can read", async () => {
  expect(await checkReadiness(migrated.db)).toEqual({ ready: true, database: "reachable", pendingMigrations: [] });
  const onDisk = (await readMigrations()).map((m) => m.name);
  expect(await checkReadiness(empty.db)).toEqual({ ready: false, database: "reachable", pendingMigrations: onDisk });
});

it("says the database is unreachable, listing no migrations, when nothing answers on its port", async () => {
  const down = createDatabase(`postgresql://encore:x@127.0.0.1:${await freePort()}/encore`);
  try {
    // Before the fix: every migration on disk was listed as pending.
    expect(await checkReadiness(down.db)).toEqual({
      ready: false,
      database: "unreachable",
      message: "The database cannot be reached, so which migrations are applied is unknown.",
    });
  } finally {
    await down.close();
  }
});

it("says the same while the database refuses connections, and is ready again once it takes them", async () => {
  try {
    await migrated.setOutage(true);
    expect(await checkReadiness(migrated.db)).toMatchObject({ ready: false, database: "unreachable" });
    await migrated.setOutage(false);
    expect(await checkReadiness(migrated.db)).toEqual({ ready: true, database: "reachable", pendingMigrations: [] });
  } finally {
    await migrated.setOutage(false);
  }
});
