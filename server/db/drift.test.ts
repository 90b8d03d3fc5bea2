import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { schemaDrift } from "./drift";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** Applies `change`, measures drift, then gives the next case a freshly migrated database. */
async function driftAfter(change: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(change);
    return await schemaDrift(database.url);
  } finally {
    await client.end();
    await database.drop();
    database = await createTestDatabase();
  }
}

describe("schema.prisma against the migrated database", () => {
  it("agree", async () => {
    expect(await schemaDrift(database.url)).toEqual([]);
  });

  it.each([
    ["a column the schema lacks", `ALTER TABLE tracks ADD COLUMN popularity int`, /column "popularity" is not in model Track/],
    ["a missing column", `ALTER TABLE users DROP COLUMN gender`, /User.gender .* column is missing/],
    ["another type", `ALTER TABLE tracks ALTER COLUMN duration TYPE varchar(5)`, /Track.duration .* schema says text, database has varchar/],
    ["another nullability", `ALTER TABLE users ALTER COLUMN email DROP NOT NULL`, /User.email .* schema says NOT NULL, database has nullable/],
    ["a table the schema lacks", `CREATE TABLE stray (id int)`, /table "stray" has no model/],
    ["a missing table", `DROP TABLE sign_in_attempts`, /model SignInAttempt: table "sign_in_attempts" is missing/],
    ["a missing table of an @@ignore model", `DROP TABLE track_listen_count_deltas`, /table "track_listen_count_deltas" \(an @@ignore model's\) is missing/],
    [
      "another enum",
      `ALTER TYPE operator_role ADD VALUE 'owner'`,
      /enum Role: schema says \(admin, operator, viewer\), database has \(admin, operator, viewer, owner\)/,
    ],
  ])("are told apart when the database has %s", async (_case, change, expected) => {
    const problems = await driftAfter(change);
    expect(problems.join("\n")).toMatch(expected);
  });
});
