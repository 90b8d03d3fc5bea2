import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { evaluateAlerts } from "../pipeline/alerts";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, taskRows, tempLake, testConfig } from "../testing/ingestion";
import { startScriptedSource, validHistory, validTrack, validUser, type ScriptedSource } from "../testing/scripted-source";
import { startWebhookReceiver } from "../testing/webhook-receiver";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let source: ScriptedSource;

beforeAll(async () => {
  lake = await tempLake();
});
afterAll(() => lake.remove());
afterEach(async () => {
  await source?.close();
  await database?.drop();
});

const PASSWORD = "S3cretSourcePw";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const withCredentials = (url: string, user: string, password: string) => url.replace("http://", `http://${user}:${password}@`);

/** Everything a viewer can read of a run: its error, its tasks' errors and logs. */
async function visibleText(runId: number): Promise<string> {
  const run = await database.db.pipelineRun.findUniqueOrThrow({ where: { id: runId } });
  const tasks = Object.values(await taskRows(database, runId));
  return [run.error ?? "", ...tasks.flatMap((t) => [t.error ?? "", ...t.logs])].join("\n");
}

async function startSource() {
  source = await startScriptedSource({ tracks: [validTrack(1)], users: [validUser(1)], listen_history: [validHistory(1, [1])] });
  source.requireAuthorization(
    basic("feeduser", PASSWORD),
    `<!channel> token expired: <http://evil.example/login|re-authenticate here> & try again ${"x".repeat(2000)}`,
  );
  database = await createTestDatabase();
}

describe("the source's credentials", () => {
  it("user:password in MOOVITAMIX_URL go as a Basic header, never into the ledger", async () => {
    await startSource();
    const run = await ingest(database, testConfig(withCredentials(source.url, "feeduser", PASSWORD), lake.dir));
    expect(run.status).toBe("success");
    expect(new Set(source.authorizations)).toEqual(new Set([basic("feeduser", PASSWORD)]));
    expect(await visibleText(run.id)).not.toContain(PASSWORD);
  });

  it("a refused password fails the run without showing it; the alert shows the source's words as plain text", async () => {
    await startSource();
    const run = await ingest(database, testConfig(withCredentials(source.url, "feeduser", "WrongPw123"), lake.dir));
    expect(run.status).toBe("failed");
    const text = await visibleText(run.id);
    expect(text).toContain("HTTP 401");
    expect(text).not.toContain("WrongPw123");
    expect(text).not.toContain("feeduser");

    const receiver = await startWebhookReceiver();
    try {
      await evaluateAlerts(database, "ingest", { webhookUrl: receiver.url, deadlineUtc: "06:00", retryDelayMs: 10 }, new Date());
      const [message] = receiver.received as { text: string; attachments: { fields: { value: string }[] }[] }[];
      const sent = JSON.stringify(message);
      expect(sent).not.toContain("WrongPw123");
      expect(message!.text).toContain("&lt;!channel&gt;");
      expect(message!.text).toContain("&lt;http://evil.example/login|re-authenticate here&gt; &amp; try again");
      expect(sent).not.toMatch(/<!channel>|<http/);
      expect(message!.text.length).toBeLessThanOrEqual(600);
    } finally {
      await receiver.close();
    }
  });

  it("MOOVITAMIX_TOKEN goes as a Bearer header", async () => {
    source = await startScriptedSource({ tracks: [validTrack(1)], users: [validUser(1)], listen_history: [validHistory(1, [1])] });
    source.requireAuthorization("Bearer t0ken-value", "no");
    database = await createTestDatabase();
    const run = await ingest(database, testConfig(source.url, lake.dir, { sourceToken: "t0ken-value" }));
    expect(run.status).toBe("success");
  });
});
