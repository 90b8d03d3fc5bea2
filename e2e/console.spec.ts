import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { ingestTo, signIn, signInFresh, trpcData, trpcMutation, uniqueEmail } from "./helpers";

test.describe.configure({ mode: "serial", timeout: 180_000 });

const ingest = (page: Page, expected: "success" | "failed") => ingestTo(page.request, expected, 90_000);

test("the frame: a skip link, the API docs and the open alerts in the sidebar", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password, "/settings");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  expect((await skip.boundingBox())!.y).toBeGreaterThanOrEqual(0);
  await page.keyboard.press("Enter");
  await expect(page.locator("main#content")).toBeFocused();

  const sections = page.getByRole("navigation", { name: "Sections" });
  await expect(sections.getByRole("link", { name: "API docs" })).toHaveAttribute("href", "/api/v1/docs");

  // Open alerts are counted beside Alerts on every page, as the alerts list counts them.
  const open = (await trpcData<{ total: number }>(page.request, "alerts.list", { state: "open", page: 1, pageSize: 1 })).total;
  await page.goto("/data");
  const badge = sections.getByTestId("open-alerts");
  if (open === 0) await expect(badge).toHaveCount(0);
  else await expect(sections.getByRole("link", { name: `Alerts ${open} open` })).toBeVisible();
});

test("times read one way everywhere, in UTC or local time as the operator chose, remembered", async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: "Asia/Kolkata" });
  const page = await context.newPage();
  const mismatches: string[] = [];
  page.on("console", (message) => {
    if (/hydrat|did not match/i.test(message.text())) mismatches.push(message.text());
  });
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password, "/settings/audit");
  const firstTime = page.getByRole("table", { name: "Audit log" }).locator("tbody tr td time").first();
  await expect(firstTime).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  const instant = new Date((await firstTime.getAttribute("datetime"))!);

  await page.getByLabel("Times in").selectOption("local");
  const local = new Date(instant.getTime() + 330 * 60_000).toISOString();
  await expect(firstTime).toHaveText(`${local.slice(0, 10)} ${local.slice(11, 16)} +05:30`);
  // Remembered, and the server's HTML already says it (no mismatch when the page hydrates).
  await page.goto("/settings/accounts");
  const lastSignIn = page.getByRole("table", { name: "Accounts" }).locator("tbody time").first();
  await expect(lastSignIn).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} \+05:30$/);
  const served = await (await page.request.get("/settings/audit")).text();
  expect(served).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} \+05:30/);
  await page.getByLabel("Times in").selectOption("utc");
  await expect(lastSignIn).toHaveText(/ UTC$/);
  expect(mismatches).toEqual([]);
  await context.close();
});

test("an operator changes their own password: the current one is required, their other sessions end, this one stays", async ({ page, browser }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const email = uniqueEmail("own-password");
  expect((await trpcMutation(page.request, "accounts.create", { email, name: "Own Password", role: "viewer", password: "first-password-123" })).status()).toBe(
    200,
  );
  const [here, elsewhere] = [await browser.newContext(), await browser.newContext()];
  const viewer = await here.newPage();
  const other = await elsewhere.newPage();
  await signInFresh(viewer, email, "first-password-123", "/settings");
  await signInFresh(other, email, "first-password-123", "/settings");

  const form = viewer.getByRole("form", { name: "Change your password" });
  const fill = async (current: string, next: string, again = next) => {
    await form.getByLabel("Current password").fill(current);
    await form.getByLabel("New password", { exact: true }).fill(next);
    await form.getByLabel("New password again").fill(again);
    await form.getByRole("button", { name: "Change password" }).click();
  };
  await fill("first-password-123", "short");
  await expect(form.getByRole("alert")).toHaveText("The new password needs at least 12 characters.");
  await fill("first-password-123", "second-password-456", "second-password-457");
  await expect(form.getByRole("alert")).toHaveText("The two new passwords differ.");
  await fill("not-my-password-0", "second-password-456");
  await expect(form.getByRole("alert")).toHaveText("The current password is not right.");
  await fill("first-password-123", "second-password-456");
  await expect(form.getByRole("status")).toHaveText("Password changed. 1 other session was signed out.");

  await viewer.reload();
  await expect(viewer.getByTestId("whoami")).toContainText(email);
  await other.reload();
  await expect(other).toHaveURL(/\/signin/);
  await signIn(other, email, "first-password-123");
  await expect(other.getByRole("alert")).toBeVisible();
  await signIn(other, email, "second-password-456");
  await expect(other.getByTestId("whoami")).toContainText(email);
  const audit = await (await page.request.get("/api/trpc/audit.list")).text();
  expect(audit).toContain("account.password_change");
  await here.close();
  await elsewhere.close();
});

test("a new API key comes with a copy button and a curl that works as it stands; the data browser links tracks", async ({ page, context, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await ingest(page, "success");
  await page.goto("/settings/api-keys");
  const form = page.getByRole("form", { name: "New API key" });
  // Each scope's checkbox sits beside its name.
  const scope = form.getByLabel("events:write");
  const scopeLabel = form.locator("label", { hasText: "events:write" });
  expect(Math.abs((await scope.boundingBox())!.y - (await scopeLabel.boundingBox())!.y)).toBeLessThan(8);
  await form.getByLabel("Name").fill(`copy ${Date.now().toString(36)}`);
  await form.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("new-api-key").textContent())!.trim();
  await page.getByRole("button", { name: "Copy key" }).click();
  await expect(page.getByText("Copied.")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

  const curl = page.getByTestId("api-key-curl");
  await expect(curl).toHaveText(new RegExp(`^curl -H "Authorization: Bearer ${key}" "${baseURL}/api/v1/users/\\d+/recommendations\\?k=10"$`));
  const userId = Number(/users\/(\d+)\//.exec((await curl.textContent())!)![1]);
  await trpcData(page.request, "listeners.profile", { userId });

  await page.goto("/data?tab=listen_history");
  const track = page.getByRole("table", { name: "Listening history" }).locator('a[href^="/listeners/tracks/"]').first();
  const name = (await track.textContent())!;
  await track.click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
});
