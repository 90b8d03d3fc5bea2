import { expect, type APIRequestContext, type Page } from "@playwright/test";

export async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signInFresh(page: Page, email: string, password: string, path = "/") {
  await page.goto(path);
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, email, password);
  await expect(page.getByTestId("whoami")).toContainText(email);
}

/** Calls a tRPC mutation over HTTP with the page's cookies, as any tRPC client would. */
export function trpcMutation(request: APIRequestContext, path: string, input: unknown) {
  return request.post(`/api/trpc/${path}`, { data: { json: input } });
}

export function trpcQuery(request: APIRequestContext, path: string) {
  return request.get(`/api/trpc/${path}`);
}

export const uniqueEmail = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@e2e.test`;
