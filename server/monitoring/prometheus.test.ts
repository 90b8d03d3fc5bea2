import { afterAll, beforeAll, expect, it } from "vitest";
import { createDatabase } from "../db/client";
import { freePort } from "../runtime/ports";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { seedRun } from "../testing/ledger";
import { metricsRegistry, metricsResponse } from "./prometheus";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

it("exposes the ledger in Prometheus text format, with the documented names and labels", async () => {
  const started = new Date("2026-11-27T02:00:00Z");
  const ok = await seedRun(database.db, {
    status: "success",
    seconds: 42,
    startedAt: started,
    tasks: [
      { task: "tracks", rowsFetched: 1000 },
      { task: "users", rowsFetched: 500 },
    ],
  });
  await seedRun(database.db, {
    status: "failed",
    seconds: 7,
    startedAt: new Date("2026-11-27T03:00:00Z"),
    tasks: [{ task: "tracks", status: "failed", rowsFetched: 10 }],
  });
  await database.db.checkResult.create({ data: { runId: ok.id, check: "freshness", dataset: "tracks", level: "warn", measured: {}, message: "40 h" } });
  await database.db.quarantinedRecord.createMany({
    data: [
      { runId: ok.id, dataset: "tracks", reasonCode: "invalid", reason: "bad", payload: "{}" },
      { runId: ok.id, dataset: "tracks", reasonCode: "invalid", reason: "bad", payload: "{}", resolvedAt: new Date() },
    ],
  });
  await database.db.schedulerHeartbeat.create({ data: { name: "built-in", beatAt: new Date("2026-11-27T04:00:00Z"), hostname: "h", pid: 1 } });

  const text = await metricsRegistry(database).metrics();
  const lines = text.split("\n");
  expect(lines).toContain('encore_pipeline_runs{pipeline="ingest",status="success"} 1');
  expect(lines).toContain('encore_pipeline_runs{pipeline="ingest",status="failed"} 1');
  expect(lines).toContain('encore_pipeline_last_run_duration_seconds{pipeline="ingest",status="failed"} 7');
  expect(lines).toContain(`encore_pipeline_last_success_timestamp_seconds{pipeline="ingest"} ${(started.getTime() + 42_000) / 1000}`);
  expect(lines).toContain('encore_task_failures{pipeline="ingest",task="tracks"} 1');
  expect(lines).toContain('encore_rows{dataset="tracks",action="fetched"} 1010');
  expect(lines).toContain('encore_rows{dataset="users",action="fetched"} 500');
  expect(lines).toContain('encore_quarantine_records{dataset="tracks",reason="invalid"} 1');
  expect(lines).toContain('encore_check_level{check="freshness",dataset="tracks"} 1');
  expect(lines).toContain(`encore_scheduler_heartbeat_timestamp_seconds ${new Date("2026-11-27T04:00:00Z").getTime() / 1000}`);
  expect(text).toMatch(/# TYPE encore_pipeline_runs gauge/);
});

it("answers 503 with a short reason while the database cannot be reached (it was a 500)", async () => {
  const scrape = await metricsResponse([metricsRegistry(database)]);
  expect(scrape.status).toBe(200);
  // Nothing listens on this port: connections are refused, as when PostgreSQL is down.
  const down = createDatabase(`postgresql://encore:x@127.0.0.1:${await freePort()}/encore`);
  try {
    const response = await metricsResponse([metricsRegistry(down)]);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.text()).toBe("The database cannot be reached; the ledger's metrics are unavailable until it is back.\n");
  } finally {
    await down.close();
  }
});
