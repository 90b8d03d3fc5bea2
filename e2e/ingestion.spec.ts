import { expect, test, type APIRequestContext } from "@playwright/test";
import { E2E_ADMIN, E2E_CRON_SECRET } from "../playwright.config";
import { signInFresh, trpcMutation, trpcQuery, uniqueEmail } from "./helpers";

type Status = { running: { id: number } | null; lastEnded: { id: number; status: string } | null };

async function waitUntilEnded(request: APIRequestContext, runId: number) {
  await expect
    .poll(
      async () => {
        const body = (await (await trpcQuery(request, "ingestion.status")).json()) as { result: { data: { json: Status } } };
        const { running, lastEnded } = body.result.data.json;
        return running === null && lastEnded?.id === runId ? lastEnded.status : "running";
      },
      { timeout: 60_000, intervals: [250] },
    )
    .toBe("success");
}

test("the cron route wants the bearer token, and a slot delivered twice gives the same run", async ({ request, page }) => {
  // Yesterday's slot of the default schedule (02:00 UTC): a slot must be recent and of the schedule.
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const url = `/api/cron/ingest?slot=${yesterday}T02:00:00Z`;
  expect((await request.get("/api/cron/ingest?slot=1", { headers: { Authorization: `Bearer ${E2E_CRON_SECRET}` } })).status()).toBe(400);
  expect((await request.get(url)).status()).toBe(401);
  expect((await request.get(url, { headers: { Authorization: "Bearer wrong-secret" } })).status()).toBe(401);
  const auth = { Authorization: `Bearer ${E2E_CRON_SECRET}` };
  expect((await request.get("/api/cron/nope", { headers: auth })).status()).toBe(404);

  const first = await request.get(url, { headers: auth });
  expect(first.status()).toBe(202);
  const started = (await first.json()) as { runId: number; deduped: boolean };
  expect(started.deduped).toBe(false);

  const repeat = await request.get(url, { headers: auth });
  expect(repeat.status()).toBe(200);
  expect(await repeat.json()).toMatchObject({ runId: started.runId, deduped: true });

  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await waitUntilEnded(page.request, started.runId);
});

test("operators trigger ingestion over tRPC; a second trigger while it runs gets 409 with the run's id; viewers are refused", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const first = await trpcMutation(page.request, "ingestion.trigger", null);
  expect(first.status()).toBe(200);
  const { runId } = ((await first.json()) as { result: { data: { json: { runId: number } } } }).result.data.json;
  const second = await trpcMutation(page.request, "ingestion.trigger", null);
  expect(second.status()).toBe(409);
  expect(await second.text()).toContain(`run ${runId}`);
  await waitUntilEnded(page.request, runId);

  const email = uniqueEmail("viewer");
  await trpcMutation(page.request, "accounts.create", { email, name: "V", role: "viewer", password: "viewer-password-1" });
  const other = await browser.newContext();
  const viewer = await other.newPage();
  await signInFresh(viewer, email, "viewer-password-1");
  expect((await trpcMutation(viewer.request, "ingestion.trigger", null)).status()).toBe(403);
  expect((await trpcQuery(viewer.request, "ingestion.status")).status()).toBe(200);
  await other.close();
});
