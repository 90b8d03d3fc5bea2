import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, reconciliationOf, tableCounts, tempLake, testConfig } from "../testing/ingestion";
import { startScriptedSource, validHistory, validTrack, validUser, type ScriptedSource } from "../testing/scripted-source";
import { DEFAULT_FETCH_POLICY } from "./http-source";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let source: ScriptedSource;

// A lake per test: each test's database numbers its runs from 1 again.
beforeEach(async () => {
  lake = await tempLake();
});
afterEach(async () => {
  await source?.close();
  await database?.drop();
  await lake.remove();
});

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** Requests per page of `dataset`, by page number. */
const requestsPerPage = (dataset: string) => {
  const counts: Record<number, number> = {};
  for (const r of source.requests) if (r.dataset === dataset) counts[r.page] = (counts[r.page] ?? 0) + 1;
  return counts;
};

describe("a source that fails for a while is waited out", () => {
  it("a source down for 5 s: the run succeeds at the default retry policy", async () => {
    source = await startScriptedSource({
      tracks: range(1, 300).map((id) => validTrack(id)),
      users: range(1, 50).map((id) => validUser(id)),
      listen_history: range(1, 50).map((id) => validHistory(id, [id])),
    });
    database = await createTestDatabase();
    const backAt = Date.now() + 5000;
    source.inject(() => (Date.now() < backAt ? { status: 503 } : undefined));
    const run = await ingest(database, testConfig(source.url, lake.dir, { fetchPolicy: DEFAULT_FETCH_POLICY }));
    expect(run.error).toBeNull();
    expect(run.status).toBe("success");
    expect(await tableCounts(database)).toEqual({ tracks: 300, users: 50, listen_history: 50 });
  }, 60_000);
});

describe("a retried task resumes from the pages earlier tries of the run landed", () => {
  it("asks the source only for the missing pages, and loses or repeats no record", async () => {
    // 10 pages of tracks; page 2 holds one invalid record; page 7 fails three times, which fails the first try.
    const tracks = range(1, 1000).map((id) => (id === 150 ? JSON.stringify({ id, name: "no timestamps" }) : validTrack(id)));
    source = await startScriptedSource({
      tracks,
      users: range(1, 50).map((id) => validUser(id)),
      listen_history: range(1, 50).map((id) => validHistory(id, [id])),
    });
    let page7Failures = 0;
    source.inject(({ dataset, page }) => (dataset === "tracks" && page === 7 && page7Failures++ < 3 ? { status: 500 } : undefined));
    database = await createTestDatabase();
    const config = testConfig(source.url, lake.dir, {
      taskRetries: 1,
      fetchPolicy: { timeoutMs: 1000, budgetMs: 10_000, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const run = await ingest(database, config);
    expect(run.error).toBeNull();
    expect(run.status).toBe("success");

    const tries = await database.db.taskRun.findMany({ where: { runId: run.id, task: "tracks" }, orderBy: { tryNumber: "asc" } });
    expect(tries.map((t) => [t.tryNumber, t.status])).toEqual([
      [1, "failed"],
      [2, "success"],
    ]);
    expect(tries[1]!.logs.some((l) => /resumed \d+ pages \(\d+ records\) that earlier tries of this run landed/.test(l))).toBe(true);
    // Each page answered once in all (11: the read past a full last page); page 7 took three failures and one answer.
    // Landed pages cost the second try nothing.
    expect(requestsPerPage("tracks")).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 4, 8: 1, 9: 1, 10: 1, 11: 1 });

    expect(await tableCounts(database)).toEqual({ tracks: 999, users: 50, listen_history: 50 });
    // The invalid record, read by both tries, is quarantined once.
    expect(await database.db.quarantinedRecord.count({ where: { runId: run.id, dataset: "tracks" } })).toBe(1);
    const tracked = (await reconciliationOf(database, run.id)).tracks!;
    expect(tracked).toMatchObject({ fetched: 1000, invalid: 1, invalidQuarantined: 1, distinct: 999, repeats: 0, holds: true, shortfall: 0 });

    // The lake holds every page once, so a replay of the run gives the same tables.
    await source.close();
    const replay = await ingest(database, testConfig(undefined, lake.dir), { trigger: "cli", params: { replayOf: run.id } });
    expect(replay.error).toBeNull();
    expect(replay.status).toBe("success");
    expect(await tableCounts(database)).toEqual({ tracks: 999, users: 50, listen_history: 50 });
    expect((await database.db.taskRun.findFirstOrThrow({ where: { runId: replay.id, task: "tracks" } })).rowsFetched).toBe(1000);
  }, 60_000);
});
