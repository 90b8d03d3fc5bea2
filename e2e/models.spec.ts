import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { FAMILIES } from "../server/recommender/families/types";
import { ingestToSuccess, signInFresh, trpcData, trpcMutation, trpcQuery, uniqueEmail } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 240_000 });

test("an operator trains from the console, sees the versions and the champion, promotes another and rolls back", async ({ page }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  // The data gate wants a successful ingestion first.
  await ingestToSuccess(page.request);
  // Other specs may have trained on the same data already: forced, this run adds one version per family.
  const before = (await trpcData<{ total: number }>(page.request, "models.list", { page: 1, pageSize: 25 })).total;
  await page.goto("/models");
  await page.getByLabel("Even if nothing is new").check();
  await page.getByRole("button", { name: "Train now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const runId = Number(page.url().split("/").pop());
  await expect(page.locator("header .badge").first()).toHaveText("success", { timeout: 180_000 });

  // The run says what it produced: a version per family with NDCG@10, each linked, and the decision; no ingestion counters.
  const produced = page.getByTestId("produced");
  const registered = produced.getByRole("table", { name: "Versions registered" });
  await expect(registered.locator("tbody tr")).toHaveCount(FAMILIES.length);
  await expect(registered).toContainText(/hybrid\s*0\.\d{4}/);
  await expect(registered.getByRole("link").first()).toHaveAttribute("href", /^\/models\/\d+$/);
  await expect(produced.getByTestId("decision")).toContainText(/version \d+ promoted to champion|champion kept; version \d+ is challenger/);
  await expect(page.getByRole("heading", { name: "Quarantine" })).toHaveCount(0);
  await expect(page.getByText(/fetched \d+ · inserted/)).toHaveCount(0);
  // Progress inside the long tasks: the families' steps and the users scored, full at the end.
  const scored = page.getByRole("progressbar", { name: "users done" });
  await expect(scored).toHaveAttribute("aria-valuenow", (await scored.getAttribute("aria-valuemax"))!);
  await expect(page.getByRole("progressbar", { name: "steps done" })).toHaveCount(FAMILIES.length);
  // And so does the Runs list, under a grid topped by duration bars.
  await page.goto("/runs?pipeline=train");
  await expect(page.getByTestId("duration-bars").getByRole("link", { name: new RegExp(`^run ${runId}: success, `) })).toBeVisible();
  const row = page.getByRole("table", { name: "Runs" }).locator("tr", { has: page.getByRole("link", { name: `#${runId}`, exact: true }) });
  await expect(row).toContainText(/v\d+, v\d+, v\d+, v\d+, v\d+/);
  await expect(row).toContainText(/0\.\d{4} \((hybrid|item_knn|rp3beta|ease|als)\)/);
  await expect(row).toContainText(/promoted to champion|is challenger/);

  // The same data, code and seed again: nothing new, nothing registered.
  await page.goto("/models");
  await page.getByRole("button", { name: "Train now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.locator("header .badge").first()).toHaveText("skipped", { timeout: 60_000 });
  await expect(page.locator("pre.log[role=alert]")).toContainText(
    new RegExp(`nothing new: snapshot \\d+ already trained by run ${runId} with the same code and seed`),
  );

  await page.goto("/models");
  const versions = page.getByRole("table", { name: "Model versions" });
  expect((await trpcData<{ total: number }>(page.request, "models.list", { page: 1, pageSize: 25 })).total).toBe(before + FAMILIES.length);
  await expect(versions.locator("tbody tr")).toHaveCount(Math.min(before + FAMILIES.length, 25));
  const champion = page.getByTestId("champion");
  await expect(champion).toContainText(/v\d+ · (hybrid|item_knn|rp3beta|ease|als)/);
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

  // Compare the two (the older link form still works).
  await page.goto(`/models/compare?a=${championId}&b=${otherId}`);
  await expect(page.getByRole("table", { name: "Versions compared" })).toContainText("recall@20");
});

test("versions chosen on the Models list compare in one table: a column each, deltas to the first, differences marked, the snapshot told truly", async ({
  page,
}) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password, "/models");
  const versions = page.getByRole("table", { name: "Model versions" });
  const ids = await versions.locator("tbody tr").evaluateAll((rows) => rows.map((row) => Number(row.getAttribute("data-testid")!.replace("version-", ""))));
  // The newest three: the same train run, so the same snapshot.
  const chosen = ids.slice(0, 3);
  for (const id of chosen) await page.getByLabel(`compare version ${id}`).check();
  await page.getByRole("button", { name: "Compare selected" }).click();
  await expect(page).toHaveURL(new RegExp(`/models/compare\\?v=${chosen.join("&v=")}$`));
  const table = page.getByRole("table", { name: "Versions compared" });
  await expect(table.locator("thead th")).toHaveCount(4);
  await expect(page.getByText(/^All trained and measured on snapshot \d+: the numbers are directly comparable\.$/)).toBeVisible();
  await expect(table.locator('tr[data-differs="true"]', { hasText: "Family" })).toContainText("differs");
  await expect(table.locator('tr[data-differs="false"]', { hasText: "Snapshot" })).toHaveCount(1);
  await expect(table.locator("tr", { hasText: "ndcg@10" }).first()).toContainText(/\([+−]0\.\d{4}\)/);

  // Versions of different snapshots are said to differ; one version alone is not a comparison.
  const snapshots = await trpcData<{ versions: { id: number; snapshotId: number }[] }>(page.request, "models.list", { page: 1, pageSize: 100 });
  const first = snapshots.versions.at(-1)!;
  const other = snapshots.versions.find((v) => v.snapshotId !== first.snapshotId);
  if (other) {
    await page.goto(`/models/compare?v=${first.id}&v=${other.id}`);
    await expect(page.getByText(/^Different snapshots \(\d+, \d+\)/)).toBeVisible();
  }
  await page.goto(`/models/compare?v=${chosen[0]}`);
  await expect(page.getByText("Choose 2 to 6 versions")).toBeVisible();

  // The quality chart has one series per family; "challenger" is explained where it shows.
  await page.goto("/models");
  await expect(page.locator(".recharts-legend-item-text")).toContainText(["popularity"]);
  if ((await versions.getByText("challenger", { exact: true }).count()) > 0)
    await expect(page.getByTestId("challenger-legend")).toContainText("did not beat the champion");
});

test("Runs lists every pipeline: analyze and demo have their own tab", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password, "/runs");
  for (const pipeline of ["ingest", "train", "analyze", "demo"]) {
    await page.getByRole("navigation", { name: "Pipelines" }).getByRole("link", { name: pipeline, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/runs\\?pipeline=${pipeline}$`));
    await expect(page.getByRole("link", { name: pipeline, exact: true })).toHaveAttribute("aria-current", "page");
  }
});

test("a viewer sees the models but cannot train, promote or roll back", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const email = uniqueEmail("model-viewer");
  expect((await trpcMutation(page.request, "accounts.create", { email, name: "Mo Viewer", role: "viewer", password: "model-viewer-pass1" })).status()).toBe(
    200,
  );
  const other = await browser.newContext();
  const viewer = await other.newPage();
  await signInFresh(viewer, email, "model-viewer-pass1", "/models");
  await expect(viewer.getByRole("table", { name: "Model versions" })).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Train now" })).toHaveCount(0);
  expect((await trpcMutation(viewer.request, "models.train", {})).status()).toBe(403);
  expect((await trpcMutation(viewer.request, "models.promote", { versionId: 1, reason: "nope nope" })).status()).toBe(403);
  await other.close();
});
