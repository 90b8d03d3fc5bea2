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

/** A tRPC query's result over HTTP with the page's cookies (superjson's envelope removed). */
export async function trpcData<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await request.get(`/api/trpc/${path}${query}`);
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** Triggers an ingestion through the API and waits for it to end as `expected`; the id of the run that ended. */
export async function ingestTo(request: APIRequestContext, expected: "success" | "failed", timeout = 60_000): Promise<number> {
  type Status = { running: { id: number } | null; lastEnded: { id: number; status: string } | null };
  expect((await trpcMutation(request, "ingestion.trigger", {})).status()).toBe(200);
  await expect
    .poll(
      async () => {
        const { running, lastEnded } = await trpcData<Status>(request, "ingestion.status");
        return running === null ? lastEnded?.status : "running";
      },
      { timeout },
    )
    .toBe(expected);
  return (await trpcData<Status>(request, "ingestion.status")).lastEnded!.id;
}

export const ingestToSuccess = (request: APIRequestContext, timeout?: number) => ingestTo(request, "success", timeout);

/** A champion to serve: ingests and trains through the API (as the console's buttons do) when there is none yet. */
export async function ensureChampion(request: APIRequestContext): Promise<number> {
  type Summary = { champion: { id: number } | null };
  const current = await trpcData<Summary>(request, "models.champion");
  if (current.champion) return current.champion.id;
  await ingestToSuccess(request);
  expect((await trpcMutation(request, "models.train", {})).status()).toBe(200);
  await expect.poll(async () => (await trpcData<Summary>(request, "models.champion")).champion?.id ?? null, { timeout: 180_000 }).not.toBeNull();
  return (await trpcData<Summary>(request, "models.champion")).champion!.id;
}
