import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { seedRun } from "../testing/ledger";
import { runSummary } from "../pipeline/summary";
import { listRuns, runGrid } from "./runs";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const day = (d: number) => new Date(Date.UTC(2026, 10, d, 3));

it("the grid honours the list's filters and carries each run's duration; every pipeline is listed with what its runs concluded", async () => {
  const ok = await seedRun(database.db, {
    pipeline: "analyze",
    startedAt: day(1),
    seconds: 30,
    tasks: [{ task: "discoveries" }, { task: "analyze", details: { experiments: 1 } }],
  });
  const failed = await seedRun(database.db, {
    pipeline: "analyze",
    status: "failed",
    startedAt: day(2),
    seconds: 5,
    tasks: [{ task: "discoveries", status: "failed" }],
  });
  await database.db.taskRun.updateMany({
    where: { runId: ok.id, task: "analyze" },
    data: { logs: ["demo-1: control 10 / treatment 12 users; ctr +5.0%, SRM p 0.6000"] },
  });
  const demo = await seedRun(database.db, {
    pipeline: "demo",
    startedAt: day(3),
    tasks: [{ task: "experiment", details: { experiment: "demo-7" } }, { task: "days" }],
  });
  await database.db.taskRun.updateMany({ where: { runId: demo.id, task: "days" }, data: { pagesDone: 4, pagesTotal: 7 } });

  const all = await runGrid(database.db, { pipeline: "analyze" });
  expect(all.runs.map((r) => r.id)).toEqual([ok.id, failed.id]);
  expect(all.runs[0]!.finishedAt!.getTime() - all.runs[0]!.startedAt!.getTime()).toBe(30_000);
  expect((await runGrid(database.db, { pipeline: "analyze", status: "failed" })).runs.map((r) => r.id)).toEqual([failed.id]);
  expect((await runGrid(database.db, { pipeline: "analyze", from: day(2) })).runs.map((r) => r.id)).toEqual([failed.id]);
  expect((await runGrid(database.db, { pipeline: "analyze", trigger: "console" })).runs).toEqual([]);

  const analyses = await listRuns(database.db, { pipeline: "analyze" }, 1, 25);
  expect(analyses.runs.find((r) => r.id === ok.id)?.outcome).toEqual({
    kind: "analyze",
    experiments: 1,
    lines: ["demo-1: control 10 / treatment 12 users; ctr +5.0%, SRM p 0.6000"],
  });
  expect(analyses.runs.find((r) => r.id === failed.id)?.outcome).toEqual({ kind: "analyze", experiments: null, lines: [] });
  const demos = await listRuns(database.db, { pipeline: "demo" }, 1, 25);
  expect(demos.runs[0]?.outcome).toEqual({ kind: "demo", experiment: "demo-7", days: { done: 4, total: 7 } });
  // The CLI's and the server log's last line says what the run concluded.
  expect(await runSummary(database.db, ok.id)).toBe(
    `analyze run ${ok.id} success in 30.0 s: analysed 1 experiment: demo-1: control 10 / treatment 12 users; ctr +5.0%, SRM p 0.6000`,
  );
  expect(await runSummary(database.db, demo.id)).toBe(`demo run ${demo.id} success in 10.0 s: experiment demo-7; day 4 of 7`);
});
