import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { E2E_ADMIN } from "../playwright.config";
import type { AppRouter } from "../server/trpc/root";
import { ensureChampion, signInFresh, trpcData, trpcMutation, uniqueEmail } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 240_000 });

type Listener = { id: number; firstName: string; lastName: string };

/** An admin creates a key in Settings → API keys; the page shows it once. */
async function createKeyInConsole(page: import("@playwright/test").Page, name: string, scopes: string[]): Promise<string> {
  await page.goto("/settings/api-keys");
  const form = page.getByRole("form", { name: "New API key" });
  await form.getByLabel("Name").fill(name);
  for (const scope of ["recommendations:read", "events:write", "experiments:read"]) await form.getByLabel(scope).setChecked(scopes.includes(scope));
  await form.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("new-api-key").textContent())!.trim();
  expect(key).toMatch(/^ek_/);
  return key;
}

test("an admin creates an API key in the console; the app uses it over REST until it is revoked", async ({ page, baseURL }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const champion = await ensureChampion(page.request);
  const name = `app backend ${randomUUID().slice(0, 8)}`;
  const key = await createKeyInConsole(page, name, ["recommendations:read", "events:write"]);
  const row = page.getByTestId(`api-key-${name}`);
  await expect(row).toContainText(key.slice(0, 11));
  await expect(row).toContainText("recommendations:read, events:write");
  await expect(row).toContainText("active");

  const [listener] = await trpcData<Listener[]>(page.request, "listeners.search", { query: "", limit: 1 });
  const answer = await fetch(`${baseURL}/api/v1/users/${listener!.id}/recommendations?k=5`, { headers: { authorization: `Bearer ${key}` } });
  expect(answer.status).toBe(200);
  const body = (await answer.json()) as { model: { version: number }; items: unknown[] };
  expect(body.model.version).toBe(champion);
  expect(body.items).toHaveLength(5);
  // Last used: a time now, no longer "—".
  await page.reload();
  await expect(page.getByTestId(`api-key-${name}`).locator("td").nth(5)).toContainText("UTC");

  await page.getByTestId(`api-key-${name}`).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId(`api-key-${name}`)).toContainText("revoked");
  const refused = await fetch(`${baseURL}/api/v1/users/${listener!.id}/recommendations`, { headers: { authorization: `Bearer ${key}` } });
  expect(refused.status).toBe(401);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");

  const audit = await (await page.request.get("/api/trpc/audit.list")).text();
  expect(audit).toContain("apikey.create");
  expect(audit).toContain("apikey.revoke");
});

test("an external TypeScript client calls the serving procedures with an API key, and only those its scopes allow", async ({ page, baseURL }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await ensureChampion(page.request);
  const readOnly = await createKeyInConsole(page, `ts client ${randomUUID().slice(0, 8)}`, ["recommendations:read"]);
  const [listener] = await trpcData<Listener[]>(page.request, "listeners.search", { query: "", limit: 1 });

  // The client the README shows, against the real server.
  const client = (key: string) =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${baseURL}/api/trpc`, transformer: superjson, headers: { authorization: `Bearer ${key}` } })],
    });
  const recommendations = await client(readOnly).recommendations.forUser.query({ userId: listener!.id, k: 5 });
  expect(recommendations.items).toHaveLength(5);
  expect(recommendations.items[0]!.reason.text.length).toBeGreaterThan(3);
  const similar = await client(readOnly).recommendations.similar.query({ trackId: recommendations.items[0]!.trackId, k: 3 });
  expect(similar.items).toHaveLength(3);

  const refused = await client(readOnly)
    .events.record.mutate({
      events: [{ id: randomUUID(), userId: listener!.id, trackId: similar.items[0]!.trackId, type: "play", at: new Date().toISOString() }],
    })
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(TRPCClientError);
  expect((refused as TRPCClientError<AppRouter>).data?.code).toBe("FORBIDDEN");
  const unknown = await client(`ek_${"z".repeat(43)}`)
    .recommendations.forUser.query({ userId: 1 })
    .catch((error: unknown) => error);
  expect((unknown as TRPCClientError<AppRouter>).data?.code).toBe("UNAUTHORIZED");
  // Nothing but the serving procedures: the console's own are closed to keys.
  const closed = await client(readOnly)
    .models.list.query({ page: 1, pageSize: 5 })
    .catch((error: unknown) => error);
  expect((closed as TRPCClientError<AppRouter>).data?.code).toBe("UNAUTHORIZED");

  const writer = await createKeyInConsole(page, `ts writer ${randomUUID().slice(0, 8)}`, ["events:write"]);
  const trackId = recommendations.items[0]!.trackId;
  const stored = await client(writer).events.record.mutate({
    events: [{ id: randomUUID(), userId: listener!.id, trackId, type: "dislike", at: new Date().toISOString() }],
  });
  expect(stored).toEqual({ accepted: 1, duplicates: 0 });
  const after = await client(readOnly).recommendations.forUser.query({ userId: listener!.id, k: 20 });
  expect(after.items.map((i) => i.trackId)).not.toContain(trackId);
});

test("the Listeners page finds a listener and shows their listening, what is served now and another version beside it", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const champion = await ensureChampion(page.request);
  const [someone] = await trpcData<Listener[]>(page.request, "listeners.search", { query: "", limit: 1 });
  await page.goto("/listeners");
  await page.getByLabel("Search").fill(`${someone!.firstName} ${someone!.lastName}`);
  await page.getByRole("button", { name: "Search" }).click();
  await page
    .getByRole("table", { name: "Listeners" })
    .getByRole("link", { name: `${someone!.firstName} ${someone!.lastName}` })
    .first()
    .click();
  await expect(page).toHaveURL(new RegExp(`/listeners/${someone!.id}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText(someone!.firstName);
  await expect(page.getByRole("region", { name: "Profile" })).toContainText("Favourite genres");
  await expect(page.getByRole("region", { name: "Listens per day (UTC)" }).locator(".recharts-bar-rectangle").first()).toBeVisible();
  const served = page.getByRole("table", { name: "Recommended now" });
  await expect(served.locator("tbody tr")).toHaveCount(20);
  await expect(page.getByRole("region", { name: "Recommended now" })).toContainText(`version ${champion}`);
  await expect(served.locator("tbody tr").first()).toContainText(/Because you listened to|Popular in|Popular with listeners/);

  const versions = await trpcData<{ versions: { id: number; family: string }[] }>(page.request, "models.list", { page: 1, pageSize: 25 });
  const other = versions.versions.find((v) => v.id !== champion)!;
  await page.getByRole("combobox", { name: "Version" }).selectOption(String(other.id));
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page).toHaveURL(new RegExp(`version=${other.id}`));
  await expect(page.getByRole("table", { name: `Version ${other.id}` }).locator("tbody tr")).toHaveCount(20);
  await expect(page.getByRole("region", { name: "Another version" })).toContainText(/\d+ of 20 tracks in both lists/);

  // A track's page, from the list, shows more like it.
  const first = served.locator("tbody tr").first().getByRole("link");
  const trackName = (await first.textContent())!;
  await first.click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(trackName);
  await expect(page.getByRole("table", { name: "Similar tracks" }).locator("tbody tr")).toHaveCount(20);
});

test("a viewer sees listeners but not API keys; the API reference renders from this server alone", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const email = uniqueEmail("serving-viewer");
  expect((await trpcMutation(page.request, "accounts.create", { email, name: "Vi Ewer", role: "viewer", password: "serving-viewer-pass1" })).status()).toBe(
    200,
  );
  const context = await browser.newContext();
  const viewer = await context.newPage();
  await signInFresh(viewer, email, "serving-viewer-pass1", "/listeners");
  await expect(viewer.getByRole("table", { name: "Listeners" })).toBeVisible();
  expect((await viewer.goto("/settings/api-keys"))!.status()).toBe(403);
  expect((await trpcMutation(viewer.request, "apiKeys.create", { name: "nope", scopes: ["recommendations:read"] })).status()).toBe(403);
  await context.close();

  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text());
  });
  await page.goto("/api/v1/docs");
  await expect(page.getByText("/users/{userId}/recommendations")).toBeVisible();
  await expect(page.getByText("/events")).toBeVisible();
  expect(violations).toEqual([]);
});
