import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { ensureChampion, ingestToSuccess, signInFresh, trpcData } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 300_000 });
test.use({ viewport: { width: 390, height: 844 } });

type Try<T> = { runId: number; status: string; output: T | null };
type Report = {
  lake: {
    task: { last: Try<{ cutoffDay: string; deletedFiles: number; neededRuns: number[] }> | null };
    stored: { ok: boolean; value: { files: number; oldestDay: string | null } };
  };
  train: {
    task: { last: Try<{ batchScores: { keptVersions: number[]; rows: number }; snapshots: { kept: number; deleted: number } }> | null };
    batchScores: { versionId: number; rows: number }[];
  };
  feedback: { partitions: { name: string; month: string | null }[] };
};

const plural = (n: number, word: string) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

test("the Data page's retention tab shows the policy and what the last retention runs did, on a phone", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  // A champion means a train run's retention ran; then an ingestion of its own, so the lake-retention shown last is this run's.
  await ensureChampion(page.request);
  const ingestRun = await ingestToSuccess(page.request);
  const report = await trpcData<Report>(page.request, "data.retention");
  const lake = report.lake.task.last!;
  const train = report.train.task.last!;
  expect(lake).toMatchObject({ runId: ingestRun, status: "success" });
  expect(train.status).toBe("success");

  await page.goto("/data?tab=retention");
  const section = page.getByRole("region", { name: "Retention", exact: true });
  // The policy: LAKE_KEEP_DAYS's default, for raw pages and snapshots.
  const cards = section.getByRole("group", { name: "Kept now" });
  await expect(cards.locator(".card", { hasText: "Raw pages kept for" })).toContainText("30 days");
  await expect(cards.locator(".card", { hasText: "Snapshots kept for" })).toContainText("30 days");
  await expect(cards.locator(".card", { hasText: "Oldest day kept" })).toContainText(report.lake.stored.value.oldestDay!);
  expect(report.lake.stored.value.files).toBeGreaterThan(0);

  const lakePanel = section.getByRole("region", { name: "Raw pages: lake-retention" });
  await expect(lakePanel).toContainText(`Last ran in run ${ingestRun}`);
  await expect(lakePanel.getByRole("link", { name: `run ${ingestRun}`, exact: true }).first()).toHaveAttribute("href", `/runs/${ingestRun}`);
  await expect(lakePanel).toContainText(`${plural(lake.output!.deletedFiles, "file")} landed before ${lake.output!.cutoffDay}`);
  await expect(lakePanel).toContainText(`the pages of ${plural(lake.output!.neededRuns.length, "run")} whatever their age`);

  const trainPanel = section.getByRole("region", { name: "Snapshots and batch scores: retention" });
  await expect(trainPanel).toContainText(`Last ran in run ${train.runId}`);
  const { batchScores, snapshots } = train.output!;
  await expect(trainPanel).toContainText(`Batch scores deleted${plural(batchScores.rows, "row")}`);
  await expect(trainPanel).toContainText(`${plural(snapshots.deleted, "file")} deleted, ${plural(snapshots.kept, "file")} kept`);
  for (const id of batchScores.keptVersions.slice(0, 3))
    await expect(trainPanel.getByRole("link", { name: `version ${id}`, exact: true })).toHaveAttribute("href", `/models/${id}`);

  const byVersion = section.getByRole("table", { name: "Batch scores by version" });
  await expect(byVersion.locator("tbody tr")).toHaveCount(report.train.batchScores.length);

  // Feedback events by month, newest first, the default partition (months without their own) last.
  const months = section.getByRole("table", { name: "Feedback events by month" });
  const { partitions } = report.feedback;
  await expect(months.locator("tbody tr")).toHaveCount(partitions.length);
  await expect(months.locator("tbody tr").first()).toContainText(partitions.filter((p) => p.month !== null).at(-1)!.month!);
  await expect(months.locator("tbody tr").last()).toContainText("default");
  await expect(section).toContainText("Feedback events are kept 400 days (FEEDBACK_KEEP_DAYS)");

  // On a 390 px phone the page does not get wider than the screen, and it is axe-clean.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
});
