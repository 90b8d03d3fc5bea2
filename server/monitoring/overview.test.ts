import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { datasetTasks, seedRun } from "../testing/ledger";
import { pipelineOverview } from "./overview";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const NOW = new Date("2026-11-27T12:00:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

it("sums up the ledger: last run, success rates, durations, rows, outcomes per day, freshness", async () => {
  // 10 days of runs: one a day (7 of them within 7 days), the runs 2 and 9 days ago failed; durations 10 s .. 100 s.
  for (let d = 10; d >= 1; d--) {
    await seedRun(database.db, {
      status: d === 2 || d === 9 ? "failed" : "success",
      startedAt: daysAgo(d),
      seconds: d * 10,
      tasks: datasetTasks({ tracks: 100, users: 50, listen_history: 200 }),
    });
  }
  await seedRun(database.db, { status: "running", startedAt: daysAgo(0.01) });
  await database.pool.query(`INSERT INTO tracks VALUES (1, 'a', 'b', 'c', '01:00', 'Pop', 'd', $1, $1)`, [new Date(NOW.getTime() - 40 * 3_600_000)]);

  const overview = await pipelineOverview(database, "ingest", { freshnessWarnHours: 36, freshnessErrorHours: 72 }, NOW);
  expect(overview.lastRun).toMatchObject({ status: "running", ageSeconds: 864 });
  expect(overview.successRate.d7).toMatchObject({ ended: 7, succeeded: 6 });
  expect(overview.successRate.d30).toMatchObject({ ended: 10, succeeded: 8 });
  // Successful durations: 10, 30..80, 100 s.
  expect(overview.durationSeconds.p50).toBeCloseTo(55, 5);
  expect(overview.charts.durations).toHaveLength(10);
  expect(overview.charts.rowsPerRun.at(-1)).toMatchObject({ tracks: 100, users: 50, listen_history: 200 });
  expect(overview.charts.outcomesPerDay.reduce((n, d) => n + d.success + d.failed, 0)).toBe(10);
  expect(overview.freshness.find((f) => f.dataset === "tracks")).toMatchObject({ level: "warn" });
  expect(overview.freshness.find((f) => f.dataset === "users")).toMatchObject({ level: "error", ageHours: null });
});

it("a newest updated_at in the future is an error, not fresh", async () => {
  await database.pool.query(`INSERT INTO users VALUES (1, 'a', 'b', 'e@x.test', 'F', 'Pop', $1, $1)`, [new Date("9999-12-31T23:59:59Z")]);
  const overview = await pipelineOverview(database, "ingest", { freshnessWarnHours: 36, freshnessErrorHours: 72 }, NOW);
  const users = overview.freshness.find((f) => f.dataset === "users")!;
  expect(users.level).toBe("error");
  expect(users.ageHours).toBeLessThan(0);
});
