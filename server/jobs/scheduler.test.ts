import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../config/env";
import { waitForRun } from "../pipeline/runner";
import type { Simulator } from "../simulator/server";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { expectedCounts, startTestSimulator, tableCounts, tempLake } from "../testing/ingestion";
import { JOBS } from "./registry";
import { startScheduler } from "./scheduler";
import { currentSlot, parseSlot, slotKey } from "./slots";

let database: TestDatabase;
let simulator: Simulator;
let lake: Awaited<ReturnType<typeof tempLake>>;
beforeAll(async () => {
  database = await createTestDatabase();
  simulator = await startTestSimulator();
  lake = await tempLake();
});
afterAll(async () => {
  await simulator.close();
  await database.drop();
  await lake.remove();
});

describe("schedule slots", () => {
  const env = parseEnv({ INGEST_SCHEDULE: "0 2 * * *" });
  it.each([
    ["2026-11-27T10:00:00Z", "2026-11-27T02:00:00.000Z"],
    ["2026-11-27T02:00:00Z", "2026-11-27T02:00:00.000Z"],
    ["2026-11-27T01:59:59Z", "2026-11-26T02:00:00.000Z"],
  ])("a delivery at %s stands for the slot %s", (now, slot) => {
    expect(currentSlot(JOBS.ingest!.schedule!(env), new Date(now)).toISOString()).toBe(slot);
  });

  it.each([
    ["1", /ISO 8601 instant/],
    ["+275760-09-13T00:00:00Z", /ISO 8601 instant/],
    ["-271821-04-20T00:00:00Z", /ISO 8601 instant/],
    ["2026-11-27T02:00:00", /ISO 8601 instant/],
    ["2026-11-27T02:00:00Z\u0000", /ISO 8601 instant/],
    ["2026-11-29T02:00:00Z", /in the future/],
    ["2026-11-19T02:00:00Z", /more than 7 days ago/],
    ["2026-11-27T02:01:00Z", /not a time of the schedule "0 2 \* \* \*"/],
    ["2026-11-27T02:00:00.500Z", /not a time of the schedule/],
  ])("a cron delivery naming the slot %s is refused (%s)", (raw, error) => {
    const named = parseSlot("0 2 * * *", raw, new Date("2026-11-28T10:00:00Z"));
    expect("error" in named && named.error).toMatch(error);
  });

  it.each(["2026-11-28T02:00:00Z", "2026-11-22T02:00Z", "2026-11-27T03:00:00+01:00"])("a cron delivery may name the recent slot %s", (raw) => {
    const named = parseSlot("0 2 * * *", raw, new Date("2026-11-28T10:00:00Z"));
    expect("slot" in named && named.slot.getTime()).toBe(new Date(raw).getTime());
  });

  it("names the slot the same way for the scheduler and the cron route", () => {
    expect(slotKey(JOBS.ingest!, new Date("2026-11-27T02:00:00Z"))).toBe("schedule:ingest:2026-11-27T02:00");
  });
});

describe("the built-in scheduler", () => {
  it("runs the ingestion at once on the very first start, not again on the next start, and nothing follows it once stopped", async () => {
    const env = parseEnv({ DATABASE_URL: database.url, MOOVITAMIX_URL: simulator.url, DATA_LAKE_DIR: lake.dir });
    const lines: string[] = [];
    const scheduler = await startScheduler({ database, env }, (line) => lines.push(line));
    let run = null;
    for (let i = 0; i < 100 && !run; i++) {
      run = await database.db.pipelineRun.findFirst({ where: { pipeline: "ingest" } });
      if (!run) await new Promise((r) => setTimeout(r, 50));
    }
    expect(run).toMatchObject({ trigger: "cron", idempotencyKey: "first-start:ingest" });
    expect((await waitForRun(database, run!.id, 100)).status).toBe("success");
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
    scheduler.stop();
    expect(lines.some((l) => /ingest: scheduled "0 2 \* \* \*" \(UTC\), next at \d{4}-/.test(l))).toBe(true);

    const again = await startScheduler({ database, env }, () => undefined);
    // Long enough for the first scheduler to have seen the ingest succeed and started train and analyze, had it not been stopped.
    await new Promise((r) => setTimeout(r, 4000));
    again.stop();
    expect(await database.db.pipelineRun.count()).toBe(1);
    expect(lines.filter((l) => /^(train|analyze): (?!scheduled)/.test(l))).toEqual([]);
  });
});
