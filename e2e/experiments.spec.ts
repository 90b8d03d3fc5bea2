import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_CRON_SECRET, E2E_SIMULATOR_URL } from "../playwright.config";
import { ensureChampion, signInFresh, trpcData, trpcMutation, uniqueEmail } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 300_000 });

type Status = { running: { id: number } | null; lastEnded: { id: number; status: string } | null };

test("a data scientist designs an experiment with the power calculator, starts it, reads the results and ships the winner", async ({ page, baseURL }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const champion = await ensureChampion(page.request);
  const key = `e2e-${Date.now().toString(36)}`;

  await page.goto("/experiments/new");
  const form = page.getByRole("form", { name: "New experiment" });
  await form.getByLabel("Key", { exact: true }).fill(key);
  await form.getByLabel("Name", { exact: true }).fill("Another version against the champion");
  await form.getByLabel("Hypothesis", { exact: true }).fill("the other version makes listeners play more");
  await expect(form.getByLabel("Control", { exact: true })).toHaveValue(String(champion));
  const treatment = Number(await form.getByLabel("Treatment", { exact: true }).inputValue());
  expect(treatment).not.toBe(champion);
  // The calculator reads the recent listening.
  await page.getByLabel("Minimum detectable effect (relative)").fill("0.1");
  await expect(page.getByTestId("power")).toContainText("Users needed");
  await expect(page.getByTestId("power")).toContainText(/Expected days\s*(\d+|more than 28)/);
  await form.getByRole("button", { name: "Create draft" }).click();
  await expect(page).toHaveURL(new RegExp(`/experiments/${key}$`));
  await expect(page.getByRole("region", { name: "Design" })).toContainText("GrowthBook v2");

  await page.getByRole("button", { name: "Start" }).click();
  await expect(page.getByText(`experiment ${key} · running`)).toBeVisible();

  // The console names a listener's variant without taking part: opening their page records no exposure.
  const [someone] = await trpcData<{ id: number }[]>(page.request, "listeners.search", { query: "", limit: 1 });
  await expect(async () => {
    await page.goto(`/listeners/${someone!.id}`);
    await expect(page.getByRole("region", { name: "Recommended now" })).toContainText(new RegExp(`experiment ${key}, variant (control|treatment).*without recording an exposure`), { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await page.waitForTimeout(1_000);
  expect((await trpcData<{ exposuresPerDay: unknown[] }>(page.request, "experiments.get", { key })).exposuresPerDay).toEqual([]);
  await page.goto(`/experiments/${key}`);

  // A simulated day: the built-in simulator's listeners ask this console for recommendations (exposures) and play some.
  expect((await page.request.post(`${E2E_SIMULATOR_URL}/admin/advance`, { data: { days: 1 } })).status()).toBe(200);
  await trpcMutation(page.request, "ingestion.trigger", {});
  await expect
    .poll(async () => {
      const { running, lastEnded } = await trpcData<Status>(page.request, "ingestion.status");
      return running === null ? lastEnded?.status : "running";
    }, { timeout: 90_000 })
    .toBe("success");
  expect((await page.request.get(`${baseURL}/api/cron/analyze`, { headers: { authorization: `Bearer ${E2E_CRON_SECRET}` } })).status()).toBeLessThan(300);
  await expect.poll(async () => (await trpcData<{ results: unknown }>(page.request, "experiments.get", { key })).results !== null, { timeout: 120_000 }).toBe(true);

  await page.reload();
  const metrics = page.getByRole("table", { name: "Metrics" });
  await expect(metrics.getByTestId(`metric-listens_per_day-treatment`)).toContainText(/[+-]\d+\.\d%/);
  await expect(page.getByTestId("srm")).toBeVisible();
  await expect(page.getByRole("region", { name: "Listeners first exposed per day" }).locator(".recharts-bar-rectangle").first()).toBeVisible();

  await page.goto("/experiments");
  await expect(page.getByTestId(`experiment-${key}`)).toContainText("running");

  await page.goto(`/experiments/${key}`);
  const decide = page.getByRole("form", { name: "Decide" });
  await decide.getByLabel("Note").fill("e2e: the treatment, for the test");
  await decide.getByRole("button", { name: "Ship treatment" }).click();
  await expect(page.getByText(`experiment ${key} · decided`)).toBeVisible();
  expect((await trpcData<{ champion: { id: number } }>(page.request, "models.champion")).champion.id).toBe(treatment);
  await page.reload();
  await expect(page.getByRole("region", { name: "Design" })).toContainText("shipped treatment");

  // Put the champion back for the specs that follow.
  expect((await trpcMutation(page.request, "models.promote", { versionId: champion, reason: "e2e: restore the champion" })).status()).toBe(200);
});

test("a viewer reads experiments but has no decision to make", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const email = uniqueEmail("experiment-viewer");
  expect((await trpcMutation(page.request, "accounts.create", { email, name: "Ex Viewer", role: "viewer", password: "experiment-viewer-pass1" })).status()).toBe(200);
  const context = await browser.newContext();
  const viewer = await context.newPage();
  await signInFresh(viewer, email, "experiment-viewer-pass1", "/experiments");
  await expect(viewer.getByRole("table", { name: "Experiments" })).toBeVisible();
  await expect(viewer.getByRole("link", { name: "New experiment" })).toHaveCount(0);
  await viewer.getByRole("table", { name: "Experiments" }).getByRole("link").first().click();
  await expect(viewer.getByRole("region", { name: "Design" })).toBeVisible();
  await expect(viewer.getByRole("region", { name: "Decisions" })).toHaveCount(0);
  expect((await trpcMutation(viewer.request, "experiments.stop", { key: "whatever" })).status()).toBe(403);
  await context.close();
});
