import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_SIMULATOR_URL } from "../playwright.config";
import { ensureChampion, ingestToSuccess, signInFresh, trpcData, trpcMutation, uniqueEmail } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 300_000 });

test("a data scientist designs an experiment with the power calculator, starts it, reads the results and ships the winner", async ({ page }) => {
  // Every confirmation is accepted and kept, except a promotion: its message is read, then it is dismissed.
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void (dialog.message().startsWith("Promote") ? dialog.dismiss() : dialog.accept());
  });
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
  // The calculator takes percentages, checks them, and uses the design's α.
  const calculator = page.getByRole("region", { name: "Power calculator" });
  await calculator.getByLabel("Minimum detectable effect (%)").fill("0.01");
  await expect(calculator.getByRole("alert")).toContainText("an effect from 0.1% to 100% (e.g. 5 for 5%)");
  await expect(page.getByTestId("power")).toHaveCount(0);
  await expect(form.getByRole("button", { name: "Create draft" })).toBeDisabled();
  await form.getByLabel("α (%)").fill("1");
  await expect(page.getByTestId("power-assumptions")).toContainText("α 1% two-sided");
  // Too small an effect for the listeners there are: it says how many exist and how many are needed.
  await calculator.getByLabel("Minimum detectable effect (%)").fill("0.1");
  await expect(page.getByTestId("power-unreachable")).toContainText(
    /not reachable: [\d,]+ active listeners in the last 28 days \([\d,]+ at this coverage\), [\d,]+ needed/,
  );
  // The calculator reads the recent listening.
  await calculator.getByLabel("Minimum detectable effect (%)").fill("10");
  await form.getByLabel("α (%)").fill("5");
  await expect(page.getByTestId("power")).toContainText("Users needed");
  await expect(page.getByTestId("power")).toContainText(/Expected days\s*(\d+|not reachable)/);
  // Up to six variants: a third one splits the shares, and goes again.
  await form.getByRole("button", { name: "Add a variant" }).click();
  await expect(form.getByLabel("Variant 3 share (%)")).toHaveValue("33");
  await expect(form.getByLabel("Variant 1 share (%)")).toHaveValue("34");
  for (let i = 4; i <= 6; i++) await form.getByRole("button", { name: "Add a variant" }).click();
  await expect(form.getByRole("button", { name: "Add a variant" })).toHaveCount(0);
  for (const k of ["variant-6", "variant-5", "variant-4", "variant-3"]) await form.getByRole("button", { name: `Remove ${k}` }).click();
  await expect(form.getByLabel("Treatment", { exact: true })).toHaveValue(String(treatment));
  await form.getByRole("button", { name: "Create draft" }).click();
  await expect(page).toHaveURL(new RegExp(`/experiments/${key}$`));
  await expect(page.getByRole("region", { name: "Design" })).toContainText("GrowthBook v2");

  // Before it starts: the share of listeners it can reach (none is running yet that would hold them).
  await expect(page.getByTestId("reach")).toContainText(/100\.0% of the \d+ listeners \(\d+\) if started now/);
  await page.getByRole("button", { name: "Start" }).click();
  await expect(page.getByText(`experiment ${key} · running`)).toBeVisible();
  expect(dialogs.at(-1)).toMatch(/It reaches 100\.0% of the \d+ listeners/);

  // Another experiment over every listener would get none of them: its page says so, and starting it is refused, pointing to namespaces.
  const shadowed = `${key}-b`;
  expect(
    (
      await trpcMutation(page.request, "experiments.create", {
        key: shadowed,
        name: "Shadowed",
        hypothesis: "none reach it",
        variants: [
          { key: "control", versionId: champion, weight: 1 },
          { key: "treatment", versionId: treatment, weight: 1 },
        ],
        primaryMetric: "listens_per_day",
      })
    ).status(),
  ).toBe(200);
  await page.goto(`/experiments/${shadowed}`);
  await expect(page.getByTestId("reach")).toContainText(
    new RegExp(`0\\.0% of the \\d+ listeners.*${key} holds \\d+.*It cannot start: give the experiments one namespace`),
  );
  await page.getByRole("button", { name: "Start" }).click();
  await expect(page.getByRole("region", { name: "Decisions" }).getByRole("alert")).toContainText(
    new RegExp(`would reach 0% of the \\d+ listeners: "${key}" takes in every listener.*namespace`),
  );
  await expect(page.getByText(`experiment ${shadowed} · draft`)).toBeVisible();

  // Promoting says who keeps their variant instead of the new champion.
  await page.goto(`/models/${treatment}`);
  await page.getByRole("form", { name: "Promote" }).getByLabel("Reason").fill("e2e: read the confirmation only");
  await page.getByRole("button", { name: `Promote version ${treatment} to champion` }).click();
  await expect
    .poll(() => dialogs.at(-1))
    .toMatch(
      new RegExp(
        `^Promote version ${treatment} to champion\\? Listeners inside running experiments keep their variant until the experiment is decided: ${key} takes in up to 100% of listeners \\(\\d+ exposed so far\\)\\. While ${key} runs, no listener who asks gets the new champion\\.$`,
      ),
    );
  expect((await trpcData<{ champion: { id: number } }>(page.request, "models.champion")).champion.id).toBe(champion);

  // The console names a listener's variant without taking part: opening their page records no exposure.
  const [someone] = await trpcData<{ id: number }[]>(page.request, "listeners.search", { query: "", limit: 1 });
  await expect(async () => {
    await page.goto(`/listeners/${someone!.id}`);
    await expect(page.getByRole("region", { name: "Recommended now" })).toContainText(
      new RegExp(
        `From experiment ${key}’s variant (control|treatment) \\(version \\d+, [a-z0-9_]+\\), not the champion; shown here without recording an exposure`,
      ),
      { timeout: 2_000 },
    );
  }).toPass({ timeout: 60_000 });
  await page.waitForTimeout(1_000);
  expect((await trpcData<{ exposuresPerDay: unknown[] }>(page.request, "experiments.get", { key })).exposuresPerDay).toEqual([]);
  await page.goto(`/experiments/${key}`);

  // A simulated day: the built-in simulator's listeners ask this console for recommendations (exposures) and play some.
  expect((await page.request.post(`${E2E_SIMULATOR_URL}/admin/round`, { data: {} })).status()).toBe(200);
  await ingestToSuccess(page.request, 90_000);
  // An operator analyses now: the analyze job's run opens.
  await page.getByRole("button", { name: "Analyze now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/, { timeout: 60_000 });
  await expect(page.getByText(/^analyze · triggered by console/)).toBeVisible();
  await expect
    .poll(async () => (await trpcData<{ results: unknown }>(page.request, "experiments.get", { key })).results !== null, { timeout: 120_000 })
    .toBe(true);

  await page.goto(`/experiments/${key}`);
  const metrics = page.getByRole("table", { name: "Metrics" });
  await expect(metrics.getByTestId(`metric-listens_per_day-treatment`)).toContainText(/[+−]\d+\.\d%/);
  await expect(page.getByTestId("srm")).toBeVisible();
  // At a glance: each metric's interval on its own axis through 0 with ticks, p never "0.0000", the chance coloured, risk shown.
  const interval = metrics.getByTestId("metric-listens_per_day-treatment").getByRole("img");
  await expect(interval).toHaveAttribute("aria-label", /on an axis from −?\d+(\.\d)?% to \+\d+(\.\d)?%/);
  expect(await interval.locator("text").count()).toBeGreaterThanOrEqual(3);
  await expect(interval.locator("text", { hasText: /^0%$/ })).toHaveCount(1);
  await expect(metrics.locator('[data-testid^="p-"]', { hasText: /0\.0000/ })).toHaveCount(0);
  await expect(metrics).not.toContainText("−0% variance");
  await expect(metrics.getByTestId("chance-listens_per_day-treatment")).toHaveAttribute("data-tone", /^(win|lose|even)$/);
  await expect(metrics.getByRole("columnheader", { name: "Risk" })).toBeVisible();
  // Data-quality notes, when there are any, are a warning banner at the top, not green text.
  const notes = page.getByRole("list", { name: "Data quality" });
  if ((await notes.count()) > 0) {
    await expect(page.getByTestId("trust-banner")).toContainText("Data quality");
    await expect(page.getByTestId("trust-banner")).toHaveCSS("background-color", "rgb(255, 244, 224)");
  }
  await expect(page.getByRole("region", { name: "Listeners first exposed per day" }).locator(".recharts-bar-rectangle").first()).toBeVisible();
  // The uplift's interval is drawn from the first day's analysis: an error bar for one day, a band for several.
  await expect(
    page
      .getByRole("region", { name: /^Uplift of .* over time$/ })
      .locator(".recharts-errorBar, .recharts-area-area")
      .first(),
  ).toBeVisible();

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
  expect(
    (await trpcMutation(page.request, "accounts.create", { email, name: "Ex Viewer", role: "viewer", password: "experiment-viewer-pass1" })).status(),
  ).toBe(200);
  const context = await browser.newContext();
  const viewer = await context.newPage();
  await signInFresh(viewer, email, "experiment-viewer-pass1", "/experiments");
  await expect(viewer.getByRole("table", { name: "Experiments" })).toBeVisible();
  await expect(viewer.getByRole("link", { name: "New experiment" })).toHaveCount(0);
  await viewer.getByRole("table", { name: "Experiments" }).getByRole("link").first().click();
  await expect(viewer.getByRole("region", { name: "Design" })).toBeVisible();
  await expect(viewer.getByRole("region", { name: "Decisions" })).toHaveCount(0);
  expect((await trpcMutation(viewer.request, "experiments.stop", { key: "whatever" })).status()).toBe(403);
  await expect(viewer.getByRole("button", { name: "Analyze now" })).toHaveCount(0);
  expect((await trpcMutation(viewer.request, "experiments.analyzeNow", {})).status()).toBe(403);
  await context.close();
});
