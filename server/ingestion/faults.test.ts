import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Faults } from "../simulator/faults";
import type { Simulator } from "../simulator/server";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { expectedCounts, ingest, reconciliationOf, startTestSimulator, tableCounts, taskRows, tempLake, testConfig } from "../testing/ingestion";
import { DEFAULT_FETCH_POLICY } from "./http-source";
import type { IngestionConfig } from "./pipeline";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let simulator: Simulator;

beforeAll(async () => {
  lake = await tempLake();
});
afterAll(() => lake.remove());
afterEach(async () => {
  await simulator?.close();
  await database?.drop();
});

async function runWith(faults: Partial<Faults>, config: Partial<IngestionConfig> = {}, mode: "original" | "realistic" = "realistic") {
  database = await createTestDatabase();
  simulator = await startTestSimulator(mode, 11, faults);
  const run = await ingest(database, testConfig(simulator.url, lake.dir, config));
  const tasks = await taskRows(database, run.id);
  const logs = Object.values(tasks).flatMap((t) => t.logs);
  return { run, tasks, logs };
}

describe("the source's faults", () => {
  it("500/502/503 answers are retried until the run succeeds with exact counts", async () => {
    const { run } = await runWith({ errorRate: 0.3 });
    expect(run.status).toBe("success");
    const served = simulator.stats().faultsServed;
    expect((served.http500 ?? 0) + (served.http502 ?? 0) + (served.http503 ?? 0)).toBeGreaterThan(0);
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
    expect(Object.values(await reconciliationOf(database, run.id)).every((r) => r.holds)).toBe(true);
  });

  it("at the default retry policy, 30% 5xx, 10% 429 (Retry-After 2 s) and 5% bodies that are not JSON only slow the run", async () => {
    // 310 pages of 5 records: at six tries per page (the old policy) some page failed all six in most runs.
    const { run } = await runWith(
      { errorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 2, badJsonRate: 0.05 },
      { fetchPolicy: DEFAULT_FETCH_POLICY, pageSize: 5, concurrency: 32 },
    );
    expect(run.error).toBeNull();
    expect(run.status).toBe("success");
    const served = simulator.stats().faultsServed;
    expect(served.http429).toBeGreaterThan(0);
    expect(served.badJson).toBeGreaterThan(0);
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
  }, 120_000);

  it("added latency only slows the run", async () => {
    const { run } = await runWith({ latencyMs: 40 });
    expect(run.status).toBe("success");
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
  });

  it("429 answers are retried after their Retry-After", async () => {
    const { run, logs } = await runWith({ rateLimitRate: 0.2, retryAfterSeconds: 1 });
    expect(run.status).toBe("success");
    expect(simulator.stats().faultsServed.http429).toBeGreaterThan(0);
    // The backoff here is at most a few ms, so a 1000 ms wait can only come from Retry-After.
    expect(logs.some((l) => /HTTP 429; retry \d+ in 1000 ms \(\d+ s left of the page's retry budget\)/.test(l))).toBe(true);
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
  });

  it("a request that hangs past the timeout is abandoned and retried", async () => {
    const { run, logs } = await runWith(
      { hangRate: 0.15, hangMs: 5000 },
      { fetchPolicy: { timeoutMs: 300, budgetMs: 20_000, maxAttempts: 8, baseDelayMs: 10, maxDelayMs: 500 } },
    );
    expect(run.status).toBe("success");
    expect(simulator.stats().faultsServed.hang).toBeGreaterThan(0);
    expect(logs.some((l) => l.includes("no answer within 300 ms"))).toBe(true);
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
  });

  it("a body that is not JSON is retried", async () => {
    const { run, logs } = await runWith({ badJsonRate: 0.3 });
    expect(run.status).toBe("success");
    expect(logs.some((l) => l.includes("answer is not JSON"))).toBe(true);
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
  });

  it("records that fail validation are quarantined with their reason, and nothing else is lost", async () => {
    const { run, tasks } = await runWith({ invalidRecords: 8 });
    expect(run.status).toBe("success");
    const invalid = await database.db.quarantinedRecord.findMany({ where: { runId: run.id, reasonCode: "invalid" } });
    expect(invalid).toHaveLength(24);
    const reasons = invalid.map((q) => q.reason).join("\n");
    expect(reasons).toMatch(/created_at: .*expected string/);
    expect(reasons).toMatch(/(id|user_id): .*expected number/);
    expect(reasons).toMatch(/updated_at: not a timestamp/);
    expect(reasons).toMatch(/(id|user_id): -\d+ is not an id from 1 to 2147483647/);
    expect(tasks.tracks!.rowsRejected).toBe(8);
    const counts = await reconciliationOf(database, run.id);
    expect(counts.tracks).toMatchObject({ invalid: 8, invalidQuarantined: 8, holds: true });
    // Histories of the broken users wait in quarantine for them.
    const waiting = await database.db.quarantinedRecord.count({ where: { runId: run.id, reasonCode: "unknown_user" } });
    expect(counts.listen_history!.waitingForUser).toBe(waiting);

    // Once the source sends the users intact, the waiting histories are loaded.
    simulator.setFaults({ invalidRecords: 0 });
    const next = await ingest(database, testConfig(simulator.url, lake.dir));
    expect(next.status).toBe("success");
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
    expect(waiting).toBeGreaterThan(0);
    expect(await database.db.quarantinedRecord.count({ where: { reasonCode: "unknown_user", resolvedRunId: next.id } })).toBe(waiting);
  });

  it("the same record on two pages is loaded once", async () => {
    const { run } = await runWith({ duplicateRecords: 10 });
    expect(run.status).toBe("success");
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
    expect((await reconciliationOf(database, run.id)).users).toMatchObject({ repeats: 10, sourceRepeats: 10, holds: true });
  });

  it("a total that changes mid-run is detected, and the run still ends with every record", async () => {
    // One page at a time per dataset, so the change (at the 4th request) always lands after both first
    // pages and inside both reads; 20 new records at each head keep the repeats under duplicate_keys'
    // 5% ERROR in the smallest dataset (users, 550). At 8 pages at once it depended on request order.
    const { run, logs } = await runWith({ totalChangeAfterRequests: 4, totalChangeBy: 20 }, { concurrency: 1 });
    expect(run.error).toBeNull();
    expect(run.status).toBe("success");
    expect(simulator.stats().faultsServed.totalChange).toBe(1);
    expect(logs.some((l) => /total changed during pass 1/.test(l))).toBe(true);
    expect(await tableCounts(database)).toEqual(expectedCounts(simulator.catalogue));
  });

  it("a source that never answers fails the run with a clear error and loads nothing twice", async () => {
    const { run, tasks } = await runWith(
      { errorRate: 1 },
      { fetchPolicy: { timeoutMs: 500, budgetMs: 20_000, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } },
    );
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(
      /tracks: GET http:\/\/127\.0\.0\.1:\d+\/tracks\?page=1&size=100 failed after 3 attempts in \d+\.\d s: HTTP 50\d; HTTP 50\d; HTTP 50\d/,
    );
    expect(tasks.listen_history).toMatchObject({ status: "skipped" });
    expect(tasks.reconcile).toMatchObject({ status: "skipped" });
    expect(await tableCounts(database)).toEqual({ tracks: 0, users: 0, listen_history: 0 });
  });

  it("a request the source refuses (422) fails at once, without retries", async () => {
    const { run } = await runWith({}, { pageSize: 500 });
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/failed after 1 attempt in \d+\.\d s: HTTP 422: .*less than or equal to 100/);
  });
});
