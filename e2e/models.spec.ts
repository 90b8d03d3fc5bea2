import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signInFresh, trpcData, trpcMutation, trpcQuery, uniqueEmail } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 240_000 });

type Status = { running: { id: number } | null; lastEnded: { id: number; status: string } | null };

test("an operator trains from the console, sees the versions and the champion, promotes another and rolls back", async ({ page }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  // The data gate wants a successful ingestion first.
  await trpcMutation(page.request, "ingestion.trigger", {});
  await expect
    .poll(async () => {
      const { running, lastEnded } = ((await (await trpcQuery(page.request, "ingestion.status")).json()) as { result: { data: { json: Status } } }).result.data.json;
      return running === null ? lastEnded?.status : "running";
    }, { timeout: 60_000 })
    .toBe("success");
  // Other specs may have trained already: this run adds one version per family.
  const before = (await trpcData<{ total: number }>(page.request, "models.list", { page: 1, pageSize: 25 })).total;
  await page.goto("/models");
  await page.getByRole("button", { name: "Train now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const runId = Number(page.url().split("/").pop());
  await expect(page.locator("header .badge").first()).toHaveText("success", { timeout: 180_000 });

  await page.goto("/models");
  const versions = page.getByRole("table", { name: "Model versions" });
  expect((await trpcData<{ total: number }>(page.request, "models.list", { page: 1, pageSize: 25 })).total).toBe(before + 5);
  await expect(versions.locator("tbody tr")).toHaveCount(Math.min(before + 5, 25));
  const champion = page.getByTestId("champion");
  await expect(champion).toContainText(/v\d+ · (hybrid|item_knn|ease|als)/);
  const championId = Number(/v(\d+)/.exec((await champion.textContent())!)![1]);
  await expect(page.getByTestId(`version-${championId}`)).toContainText("champion");

  // Another version, promoted by hand with a reason.
  const ids = await versions.locator("tbody tr").evaluateAll((rows) => rows.map((row) => Number(row.getAttribute("data-testid")!.replace("version-", ""))));
  const otherId = ids.find((id) => id !== championId)!;
  await page.goto(`/models/${otherId}`);
  await expect(page.getByRole("table", { name: "Metrics" })).toContainText("ndcg@10");
  await expect(page.getByRole("region", { name: "Lineage" })).toContainText(`run ${runId}`);
  const promote = page.getByRole("form", { name: "Promote" });
  await promote.getByLabel("Reason").fill("e2e: trying the neighbours");
  await promote.getByRole("button", { name: `Promote version ${otherId} to champion` }).click();
  await expect(page.getByRole("status")).toHaveText(`Version ${otherId} is the champion.`);
  await page.goto("/models");
  await expect(page.getByTestId("champion")).toContainText(`v${otherId}`);

  // And rolled back, from the new champion's page.
  await page.goto(`/models/${otherId}`);
  const rollback = page.getByRole("form", { name: "Roll back" });
  await rollback.getByLabel("Reason").fill("e2e: back to the trained champion");
  await rollback.getByRole("button", { name: "Roll back to the previous champion" }).click();
  await expect(page.getByRole("status")).toHaveText("Rolled back.");
  await page.goto("/");
  await expect(page.getByTestId("champion")).toContainText(`v${championId}`);

  const audit = await (await trpcQuery(page.request, "audit.list")).text();
  expect(audit).toContain("e2e: trying the neighbours");
  expect(audit).toContain("rollback: e2e: back to the trained champion");

  // Compare the two.
  await page.goto(`/models/compare?a=${championId}&b=${otherId}`);
  await expect(page.getByRole("table", { name: "Metrics side by side" })).toContainText("recall@20");
});

test("a viewer sees the models but cannot train, promote or roll back", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const email = uniqueEmail("model-viewer");
  expect((await trpcMutation(page.request, "accounts.create", { email, name: "Mo Viewer", role: "viewer", password: "model-viewer-pass1" })).status()).toBe(200);
  const other = await browser.newContext();
  const viewer = await other.newPage();
  await signInFresh(viewer, email, "model-viewer-pass1", "/models");
  await expect(viewer.getByRole("table", { name: "Model versions" })).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Train now" })).toHaveCount(0);
  expect((await trpcMutation(viewer.request, "models.train", {})).status()).toBe(403);
  expect((await trpcMutation(viewer.request, "models.promote", { versionId: 1, reason: "nope nope" })).status()).toBe(403);
  await other.close();
});
