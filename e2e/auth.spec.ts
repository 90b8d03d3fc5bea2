import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn, signInFresh, trpcMutation, trpcQuery, uniqueEmail } from "./helpers";

test("an anonymous visitor is sent to sign-in and back to the page asked for", async ({ page }) => {
  await page.goto("/runs?status=failed");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fruns%3Fstatus%3Dfailed/);
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await expect(page).toHaveURL(/\/runs\?status=failed$/);
  await expect(page.getByRole("heading", { name: "Runs" })).toBeVisible();
});

test("a wrong password shows an error and gives no session", async ({ page, context }) => {
  await page.goto("/signin");
  await signIn(page, E2E_ADMIN.email, "not-the-password");
  await expect(page.locator("#signin-error")).toHaveText("Wrong e-mail or password.");
  expect((await context.cookies()).map((c) => c.name)).not.toContain("next-auth.session-token");
  expect((await trpcQuery(page.request, "me.get")).status()).toBe(401);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});

test("an over-long e-mail or password is refused in the form by name, with no session", async ({ page, context }) => {
  await page.goto("/signin");
  await signIn(page, `${"a".repeat(300)}@example.test`, "whatever-password");
  await expect(page.locator("#signin-error")).toHaveText("An e-mail address has at most 254 characters.");
  await signIn(page, E2E_ADMIN.email, "p".repeat(1025));
  await expect(page.locator("#signin-error")).toHaveText("A password has at most 1,024 characters.");
  expect((await context.cookies()).map((c) => c.name)).not.toContain("next-auth.session-token");
});

test("sign in shows who is signed in; sign out ends the session", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await expect(page.getByTestId("whoami")).toContainText("admin");
  for (const section of ["Overview", "Runs", "Data", "Models", "Experiments", "Listeners", "Settings"]) {
    await expect(page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: section })).toBeVisible();
  }
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  expect((await trpcQuery(page.request, "me.get")).status()).toBe(401);
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fsettings/);
});

test("the admin creates an operator, who can then sign in", async ({ page, browser }) => {
  const email = uniqueEmail("operator");
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password, "/settings/accounts");
  const form = page.getByRole("form", { name: "New account" });
  await form.getByLabel("E-mail").fill(email);
  await form.getByLabel("Name").fill("Olive Operator");
  await form.getByLabel("Role").selectOption("operator");
  await form.getByLabel("Initial password").fill("operator-password-1");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("status")).toHaveText(`Created ${email} as operator.`);
  await expect(page.getByTestId(`account-${email}`)).toContainText("Olive Operator");

  const other = await browser.newContext();
  const operatorPage = await other.newPage();
  await signInFresh(operatorPage, email, "operator-password-1");
  await expect(operatorPage.getByTestId("whoami")).toContainText("operator");
  await other.close();
});

test("a viewer can neither open nor call an admin action", async ({ page, browser }) => {
  const email = uniqueEmail("viewer");
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const created = await trpcMutation(page.request, "accounts.create", { email, name: "Vera Viewer", role: "viewer", password: "viewer-password-1" });
  expect(created.status()).toBe(200);

  const other = await browser.newContext();
  const viewerPage = await other.newPage();
  await signInFresh(viewerPage, email, "viewer-password-1");
  await viewerPage.goto("/settings");
  await expect(viewerPage.getByRole("link", { name: "Accounts" })).toHaveCount(0);

  const response = await viewerPage.goto("/settings/accounts");
  expect(response?.status()).toBe(403);
  await expect(viewerPage.getByText("403 · Not allowed")).toBeVisible();

  const list = await trpcQuery(viewerPage.request, "accounts.list");
  expect(list.status()).toBe(403);
  const promote = await trpcMutation(viewerPage.request, "accounts.setRole", { operatorId: 1, role: "viewer" });
  expect(promote.status()).toBe(403);
  expect(await promote.text()).toContain("FORBIDDEN");
  await other.close();
});

test("a bad request gets a 400 with the field that is wrong", async ({ page }) => {
  await signInFresh(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const response = await trpcMutation(page.request, "accounts.create", { email: "not-an-email", name: "", role: "root", password: "short" });
  expect(response.status()).toBe(400);
  const body = (await response.json()) as { error: { json: { data: { zodError: { fieldErrors: Record<string, string[]> } } } } };
  expect(Object.keys(body.error.json.data.zodError.fieldErrors).sort()).toEqual(["email", "name", "password", "role"]);
});
