import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { seedRun } from "../testing/ledger";
import { startWebhookReceiver } from "../testing/webhook-receiver";
import { acknowledgeAlert, evaluateAlerts, type AlertPolicy } from "./alerts";

let database: TestDatabase;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let status = 200;
beforeEach(async () => {
  database = await createTestDatabase();
  status = 200;
  receiver = await startWebhookReceiver(() => status);
});
afterEach(async () => {
  await receiver.close();
  await database.drop();
});

const policy = (): AlertPolicy => ({ webhookUrl: receiver.url, deadlineUtc: "06:00", retryDelayMs: 10 });
const at = (iso: string) => new Date(iso);
type Message = { text: string; attachments: { fields: { title: string; value: string }[] }[]; encore: { event: string; kind: string } };

describe("alerts", () => {
  it("a failed run opens one incident, however often it is evaluated, and its recovery is sent once", async () => {
    const failed = await seedRun(database.db, { status: "failed", error: "tracks: GET … failed after 6 attempts", startedAt: at("2026-11-27T02:00:00Z") });
    const now = at("2026-11-27T02:10:00Z");
    expect((await evaluateAlerts(database, "ingest", policy(), now)).opened).toHaveLength(1);
    await evaluateAlerts(database, "ingest", policy(), now);
    await evaluateAlerts(database, "ingest", policy(), now);
    expect(await database.db.alert.count()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const opened = receiver.received[0] as Message;
    expect(opened.text).toContain(`ingest run ${failed.id} failed`);
    expect(opened.encore).toMatchObject({ event: "opened", kind: "run_failed" });
    expect(opened.attachments[0]!.fields).toEqual(expect.arrayContaining([{ title: "run", value: String(failed.id), short: true }]));

    await seedRun(database.db, { status: "success", startedAt: at("2026-11-27T02:20:00Z") });
    const { resolved } = await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T02:31:00Z"));
    expect(resolved).toHaveLength(1);
    await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T02:32:00Z"));
    expect(receiver.received.map((m) => (m as Message).encore.event)).toEqual(["opened", "recovered"]);
    expect(await database.db.alert.findFirstOrThrow()).toMatchObject({ state: "resolved" });
  });

  it("an ERROR check opens an incident per check, resolved when a later run passes it", async () => {
    const run = await seedRun(database.db, { status: "failed", startedAt: at("2026-11-27T02:00:00Z") });
    await database.db.checkResult.create({
      data: { runId: run.id, check: "freshness", dataset: "tracks", level: "error", measured: {}, message: "newest updated_at is 80 h old" },
    });
    await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T02:10:00Z"));
    const kinds = (await database.db.alert.findMany({ where: { state: "open" } })).map((a) => a.incidentKey).sort();
    expect(kinds).toEqual(["check_error:ingest:freshness:tracks", "run_failed:ingest"]);

    const next = await seedRun(database.db, { status: "success", startedAt: at("2026-11-27T03:00:00Z") });
    await database.db.checkResult.create({ data: { runId: next.id, check: "freshness", dataset: "tracks", level: "ok", measured: {}, message: "fresh" } });
    await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T03:10:00Z"));
    expect(await database.db.alert.count({ where: { state: { not: "resolved" } } })).toBe(0);
  });

  it("a missed deadline opens an incident, and the day's first success resolves it", async () => {
    await seedRun(database.db, { status: "success", startedAt: at("2026-11-26T02:00:00Z") });
    expect((await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T05:59:00Z"))).opened).toHaveLength(0);
    const { opened } = await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T06:01:00Z"));
    expect(opened.map((a) => a.kind)).toEqual(["deadline_missed"]);
    await seedRun(database.db, { status: "success", startedAt: at("2026-11-27T07:00:00Z") });
    expect((await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T07:05:00Z"))).resolved.map((a) => a.kind)).toEqual(["deadline_missed"]);
  });

  it("a run taking over twice the p95 of the last runs is flagged while it runs", async () => {
    for (let day = 1; day <= 6; day++) await seedRun(database.db, { status: "success", seconds: 60, startedAt: at(`2026-11-2${day}T02:00:00Z`) });
    await seedRun(database.db, { status: "running", startedAt: at("2026-11-27T02:00:00Z") });
    expect((await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T02:01:30Z"))).opened).toHaveLength(0);
    expect((await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T02:02:30Z"))).opened.map((a) => a.kind)).toEqual(["run_slow"]);
  });

  it("records a delivery that failed after its retries, and one with no webhook configured", async () => {
    status = 503;
    await seedRun(database.db, { status: "failed", startedAt: at("2026-11-27T02:00:00Z") });
    await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T02:05:00Z"));
    expect(receiver.requests()).toBe(3);
    expect(await database.db.alertNotification.findFirstOrThrow()).toMatchObject({
      event: "opened",
      status: "failed",
      attempts: 3,
      lastError: expect.stringContaining("HTTP 503"),
    });

    await seedRun(database.db, { status: "success", startedAt: at("2026-11-27T02:10:00Z") });
    await evaluateAlerts(database, "ingest", { deadlineUtc: "06:00" }, at("2026-11-27T02:20:00Z"));
    expect(await database.db.alertNotification.findFirstOrThrow({ where: { event: "recovered" } })).toMatchObject({ status: "not_configured", attempts: 0 });
  });

  it("an open alert can be acknowledged once", async () => {
    await seedRun(database.db, { status: "failed", startedAt: at("2026-11-27T02:00:00Z") });
    const [alert] = (await evaluateAlerts(database, "ingest", policy(), at("2026-11-27T02:05:00Z"))).opened;
    expect(await acknowledgeAlert(database, alert!.id, "ops@example.test")).toBe(true);
    expect(await acknowledgeAlert(database, alert!.id, "ops@example.test")).toBe(false);
    expect(await database.db.alert.findUniqueOrThrow({ where: { id: alert!.id } })).toMatchObject({
      state: "acknowledged",
      acknowledgedBy: "ops@example.test",
    });
  });
});
