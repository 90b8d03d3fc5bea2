import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_SIMULATOR_URL } from "../playwright.config";
import { ensureChampion, signInFresh, trpcData } from "./helpers";

test.describe.configure({ timeout: 480_000 });

test("the demo experiment runs in real time and leaves the console as it found it: decided without shipping, nothing in the future, true notes, linked from its run", async ({
  page,
}) => {
  page.on("dialog", (dialog) => void dialog.accept());
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const champion = await ensureChampion(page.request);

  await page.goto("/experiments");
  await page.getByRole("button", { name: "Run a demo experiment" }).click();
  // The demo starts in a job process of its own.
  await expect(page).toHaveURL(/\/runs\/\d+$/, { timeout: 60_000 });
  const runId = Number(/\/runs\/(\d+)$/.exec(page.url())![1]);
  await expect
    .poll(async () => (await trpcData<{ status: string }>(page.request, "runs.get", { runId })).status, { timeout: 420_000, intervals: [5_000] })
    .toBe("success");

  // The run links to its experiment's results.
  await page.reload();
  await page.getByRole("link", { name: `demo-${runId}` }).click();
  await expect(page).toHaveURL(new RegExp(`/experiments/demo-${runId}$`));
  await expect(page.getByText(`experiment demo-${runId} · decided`)).toBeVisible();
  await expect(page.getByRole("region", { name: "Design" })).toContainText("nothing shipped");
  await expect(page.getByTestId("decision-note")).toContainText(
    /^Demo over after 7 days: treatment plays_per_impression [+−]\d+\.\d% .*Nothing shipped: a demo changes nothing served\.$/,
  );
  // Today was ingested: no note says otherwise.
  await expect(page.locator("body")).not.toContainText("no successful ingestion");
  await expect(page.getByRole("region", { name: "Decisions" })).toHaveCount(0);

  // Nothing served changed, and nothing is dated after now.
  expect((await trpcData<{ champion: { id: number } }>(page.request, "models.champion")).champion.id).toBe(champion);
  const { now } = (await (await page.request.get(`${E2E_SIMULATOR_URL}/admin/stats`)).json()) as { now: string };
  expect(Date.parse(now)).toBeLessThanOrEqual(Date.now());
  await page.goto("/");
  for (const dataset of ["tracks", "users", "listen_history"]) {
    await expect(page.getByTestId(`freshness-${dataset}`)).not.toContainText("−");
    await expect(page.getByTestId(`freshness-${dataset}`)).toContainText(/\d+\.\d h/);
  }

  // The list says how long it ran, not "0" days.
  await page.goto("/experiments");
  await expect(page.getByTestId(`experiment-demo-${runId}`)).toContainText("decided");
  await expect(page.getByTestId(`ran-for-demo-${runId}`)).toContainText(/^\d+ min \d+ s|^\d+ s/);
});
