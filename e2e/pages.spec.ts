import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { ensureChampion, signIn, signInFresh, trpcData, trpcMutation } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 600_000 });
test.use({ viewport: { width: 390, height: 844 } });

const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** What the sweep finds wrong on the page as it is now: axe's violations (rule and elements) and a document wider than the phone. */
async function problemsHere(page: Page, path: string): Promise<string[]> {
  const problems: string[] = [];
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 390) problems.push(`${path}: ${width} px wide at a 390 px viewport`);
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  for (const v of violations)
    problems.push(
      `${path}: ${v.id} (${v.help}) at ${v.nodes
        .map((n) => n.target.join(" "))
        .slice(0, 5)
        .join(", ")}${v.nodes.length > 5 ? ` and ${v.nodes.length - 5} more` : ""}`,
    );
  return problems;
}

async function problemsOf(page: Page, path: string): Promise<string[]> {
  const response = await page.goto(path, { waitUntil: "networkidle" });
  expect(response?.status(), path).toBeLessThan(400);
  return problemsHere(page, path);
}

const firstHref = async (page: Page, selector: string) => {
  const href = await page.locator(selector).first().getAttribute("href");
  expect(href, selector).toBeTruthy();
  return href!;
};

test("every page of the console is axe-clean (WCAG 2.1 A/AA) and no wider than a 390 px phone", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  // A run of each pipeline that has pages, model versions, a listener with history, a track and an experiment, made as an operator would.
  const champion = await ensureChampion(page.request);
  const versions = await trpcData<{ versions: { id: number }[] }>(page.request, "models.list", { page: 1, pageSize: 25 });
  const other = versions.versions.map((v) => v.id).find((id) => id !== champion)!;
  const key = `pages-${Date.now().toString(36)}`;
  const created = await trpcMutation(page.request, "experiments.create", {
    key,
    name: "Page sweep",
    hypothesis: "an experiment to render its page",
    variants: [
      { key: "control", versionId: champion, weight: 1 },
      { key: "treatment", versionId: other, weight: 1 },
    ],
    primaryMetric: "listens_per_day",
  });
  expect(created.status(), await created.text()).toBe(200);

  await page.goto("/runs?pipeline=ingest");
  const ingestRun = await firstHref(page, 'table a[href^="/runs/"]');
  await page.goto("/runs?pipeline=train");
  const trainRun = await firstHref(page, 'table a[href^="/runs/"]');
  await page.goto("/listeners");
  const listener = await firstHref(page, 'main a[href^="/listeners/"]:not([href^="/listeners/tracks"])');
  await page.goto(listener);
  const track = await firstHref(page, 'main a[href^="/listeners/tracks/"]');

  const pages = [
    "/",
    "/runs",
    "/runs?pipeline=train",
    ingestRun,
    trainRun,
    "/alerts",
    "/data",
    "/data?tab=users",
    "/data?tab=listen_history",
    "/data?tab=quarantine",
    "/data?tab=vanished",
    "/data?tab=retention",
    "/models",
    `/models/${champion}`,
    `/models/${other}`,
    `/models/compare?a=${champion}&b=${other}`,
    "/experiments",
    "/experiments/new",
    `/experiments/${key}`,
    "/listeners",
    listener,
    track,
    "/settings",
    "/settings/accounts",
    "/settings/api-keys",
    "/settings/audit",
  ];
  const problems: string[] = [];
  for (const path of pages) problems.push(...(await problemsOf(page, path)));

  // The API reference renders client-side: measure it once it has drawn its operations, then with every
  // operation open for trying out, then with the credentials dialog open.
  await page.goto("/api/v1/docs");
  await expect(page.locator(".opblock").first()).toBeVisible();
  problems.push(...(await problemsHere(page, "/api/v1/docs")));
  for (const operation of await page.locator(".opblock-summary-control").all()) await operation.click();
  const tryOut = page.getByRole("button", { name: "Try it out" });
  while ((await tryOut.count()) > 0) await tryOut.first().click();
  await expect(page.getByRole("button", { name: "Execute" }).first()).toBeVisible();
  problems.push(...(await problemsHere(page, "/api/v1/docs, every operation open")));
  await page.getByRole("button", { name: "Authorize" }).first().click();
  await expect(page.locator(".modal-ux")).toBeVisible();
  problems.push(...(await problemsHere(page, "/api/v1/docs, credentials dialog")));

  const signedOut = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const visitor = await signedOut.newPage();
  problems.push(...(await problemsOf(visitor, "/signin")));
  // A failed sign-in shows its error, which must pass too.
  await signIn(visitor, E2E_ADMIN.email, "not-the-password-at-all");
  await expect(visitor.getByRole("alert")).toBeVisible();
  problems.push(...(await problemsHere(visitor, "/signin, refused")));
  await signedOut.close();

  expect(problems).toEqual([]);
});

test("an action says what is wrong with its form before asking to confirm, in words", async ({ page }) => {
  let dialogs = 0;
  page.on("dialog", (dialog) => {
    dialogs += 1;
    void dialog.dismiss();
  });
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const champion = await ensureChampion(page.request);
  const { versions } = await trpcData<{ versions: { id: number }[] }>(page.request, "models.list", { page: 1, pageSize: 25 });
  const other = versions.map((v) => v.id).find((id) => id !== champion)!;
  await page.goto(`/models/${other}`);
  const promote = page.getByRole("form", { name: "Promote" });
  await promote.getByLabel("Reason").fill("x");
  await promote.getByRole("button", { name: `Promote version ${other} to champion` }).click();
  await expect(promote.getByRole("alert")).toHaveText("Reason: say why, in a few words.");
  expect(dialogs).toBe(0);
});
