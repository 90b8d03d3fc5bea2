import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN, E2E_SIMULATOR_URL } from "../playwright.config";
import { signInFresh, trpcMutation, uniqueEmail } from "./helpers";

async function setFaults(page: Page, faults: Record<string, unknown>) {
  const response = await page.request.put(`${E2E_SIMULATOR_URL}/admin/faults`, { data: faults });
  expect(response.ok()).toBe(true);
}

/** Starts a run from the console's button and waits on its page until it ends with `status`. */
async function runFromConsole(page: Page, status: "success" | "failed") {
  await page.goto("/");
  await page.getByRole("button", { name: "Run ingestion now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/Run #\d+/);
  await expect(page.locator("header .badge").first()).toHaveText(status, { timeout: 60_000 });
  return Number(page.url().split("/").pop());
}

test.describe.configure({ mode: "serial" });

test("an operator triggers a run from the console and watches it go to success live", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/");
  await page.getByRole("button", { name: "Run ingestion now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  // The page refreshes itself while the run goes; no reload by the test.
  await expect(page.locator("header .badge").first()).toHaveText("success", { timeout: 60_000 });
  await expect(page.getByTestId("try-reconcile-1")).toContainText("success");
  await expect(page.getByRole("table", { name: "Data checks" })).toContainText("freshness");
});

test("the overview shows the run and its charts once runs exist", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/");
  await expect(page.getByTestId("last-run")).toContainText("success");
  await expect(page.getByRole("region", { name: "Run duration (seconds)" }).locator(".recharts-dot").first()).toBeVisible();
  for (const title of ["Rows fetched per run, by dataset", "Runs by outcome per day (UTC)", "Rows written per day (inserted + updated), UTC days"]) {
    await expect(page.getByRole("region", { name: title }).locator(".recharts-bar-rectangle").first()).toBeVisible();
  }
  await expect(page.getByTestId("freshness-tracks")).toContainText("ok");
});

test("a cell of the grid opens that task's try, and the run detail shows its log", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/runs");
  const cell = page.getByRole("link", { name: /^users in run \d+: success \(try 1\)$/ }).last();
  await cell.click();
  await expect(page).toHaveURL(/\/runs\/\d+\?task=users&try=1$/);
  const selected = page.getByTestId("try-users-1");
  await expect(selected).toHaveClass(/row-highlight/);
  await expect(selected).toHaveAttribute("open", "");
  await expect(selected.getByLabel("log of users try 1")).toContainText("records in");
  await expect(page.getByLabel("Timeline")).toContainText("listen_history");
});

test("a failed run's tasks are retried from the console once the source is back", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await setFaults(page, { errorRate: 1 });
  try {
    await runFromConsole(page, "failed");
  } finally {
    await setFaults(page, { errorRate: 0 });
  }
  await expect(page.getByTestId("try-tracks-1")).toContainText("failed");
  await page.getByRole("button", { name: "Retry failed tasks" }).click();
  await expect(page.locator("header .badge").first()).toHaveText("success", { timeout: 60_000 });
  await expect(page.getByTestId("try-tracks-2")).toContainText("success");
  await expect(page.getByTestId("try-tracks-1")).toContainText("failed");
  await page.goto("/alerts");
  await expect(page.getByRole("table", { name: "Alerts" })).toContainText(/ingest run \d+ failed/);
});

test("the data browser searches with server-side paging and shows a history's tracks by name", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/data?tab=users");
  const users = page.getByRole("table", { name: "Users" });
  await expect(page.getByRole("navigation", { name: "Pages" })).toContainText(/Page 1 of \d+/);
  const firstId = (await users.locator("tbody tr td").first().textContent())!.trim();
  await page.getByLabel(/Search/).fill(firstId);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(users.locator("tbody tr").first()).toContainText(firstId);
  await users.getByRole("link", { name: "listening history" }).first().click();
  const histories = page.getByRole("table", { name: "Listening history" });
  await expect(histories).toBeVisible();
  // The realistic simulator's histories name tracks it sends, so every item resolves to "name (artist)".
  await expect(histories.locator("tbody tr").first().locator("td").nth(2)).toHaveText(/^[^#]+ \([^)]+\)/);
});

test("records the source stops serving are listed on the Data page, and leave it when they come back", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await setFaults(page, { withheldRecords: 3 });
  try {
    const runId = await runFromConsole(page, "success");
    await page.goto("/data?tab=vanished");
    const vanished = page.getByRole("table", { name: "Vanished records" });
    await expect(vanished.locator("tbody tr")).toHaveCount(9);
    await expect(vanished.locator("tbody tr").first().getByRole("link").last()).toHaveText(String(runId));
    await page.getByRole("form", { name: "Filter vanished records" }).getByLabel("Dataset").selectOption("tracks");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(vanished.locator("tbody tr")).toHaveCount(3);
  } finally {
    await setFaults(page, {});
  }
  await runFromConsole(page, "success");
  await page.goto("/data?tab=vanished");
  await expect(page.getByText("Nothing has vanished from the source")).toBeVisible();
});

test("a viewer sees everything but no trigger or retry button, and the server refuses the calls anyway", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const email = uniqueEmail("viewer");
  await trpcMutation(page.request, "accounts.create", { email, name: "Vic Viewer", role: "viewer", password: "viewer-password-1" });
  const failedRun = await page.request.get(`/api/trpc/runs.list?input=${encodeURIComponent(JSON.stringify({ json: { status: "success" } }))}`);
  const runId = ((await failedRun.json()) as { result: { data: { json: { runs: { id: number }[] } } } }).result.data.json.runs[0]!.id;

  const other = await browser.newContext();
  const viewer = await other.newPage();
  await signInFresh(viewer, email, "viewer-password-1");
  await expect(viewer.getByTestId("last-run")).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Run ingestion now" })).toHaveCount(0);
  await viewer.goto("/runs");
  await expect(viewer.getByRole("table", { name: "Runs" })).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Run ingestion now" })).toHaveCount(0);
  await viewer.goto(`/runs/${runId}`);
  await expect(viewer.getByRole("button", { name: /Retry|Cancel/ })).toHaveCount(0);
  expect((await trpcMutation(viewer.request, "ingestion.trigger", null)).status()).toBe(403);
  expect((await trpcMutation(viewer.request, "runs.retry", { runId })).status()).toBe(403);
  expect((await trpcMutation(viewer.request, "runs.cancel", { runId })).status()).toBe(403);
  await other.close();
});

test("readiness lists pending migrations only when it could read them (none here) and says the serving state is loaded", async ({ request }) => {
  const response = await request.get("/api/health/ready");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ ready: true, database: "reachable", pendingMigrations: [], serving: "loaded" });
});
