import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createDatabase } from "../db/client";
import { freePort } from "../runtime/ports";
import { createTRPCRouter, publicProcedure, retryAfterHeaders } from "./init";

// The app's own tRPC instance (its error formatter and input guard), with procedures that fail on purpose.
const router = createTRPCRouter({
  leaky: publicProcedure.query(() => {
    throw new Error(
      'Invalid `prisma.track.count()` invocation: invalid byte sequence for encoding "UTF8": 0x00 (Code: 22021) at postgresql://encore:pw@db:5432',
    );
  }),
  echo: publicProcedure.input(z.object({ text: z.string() })).query(({ input }) => input.text),
  // A real query on a database nobody listens for (a PostgreSQL that is down or restarting).
  tracks: publicProcedure.query(async () => {
    const down = createDatabase(`postgresql://encore:x@127.0.0.1:${await freePort()}/encore`);
    try {
      return await down.db.track.count();
    } finally {
      await down.close();
    }
  }),
});

const call = async (path: string, input?: unknown) => {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(`http://encore.test/api/trpc/${path}${query}`),
    router,
    createContext: () => ({}) as never,
    responseMeta: retryAfterHeaders,
  });
  return { status: response.status, body: await response.text(), retryAfter: response.headers.get("retry-after") };
};

afterEach(() => vi.restoreAllMocks());

describe("tRPC errors", () => {
  it("an unexpected error reaches the caller as a message with an error id; the details go to the server log under that id", async () => {
    const logged: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args));
    const { status, body } = await call("leaky");
    expect(status).toBe(500);
    expect(body).not.toMatch(/prisma|22021|postgresql|UTF8|stack/i);
    const errorId = /error id ([0-9a-f]{12})/.exec(body)?.[1];
    expect(errorId).toBeDefined();
    expect(logged).toHaveLength(1);
    expect(String(logged[0]![0])).toContain(`[error ${errorId}]`);
    expect(String(logged[0]![1])).toContain("prisma.track.count()");
  });

  it("a procedure that cannot reach the database answers 503 with Retry-After, not a 500 with an error id", async () => {
    const logged: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args));
    const { status, body, retryAfter } = await call("tracks");
    expect(status).toBe(503);
    expect(retryAfter).toBe("5");
    expect(body).toContain("The console cannot reach its database; try again shortly.");
    expect(body).not.toMatch(/error id|ECONNREFUSED|127\.0\.0\.1/);
    expect(logged).toEqual([]);
  });

  it("a NUL anywhere in the input is a 400 with a message, before the procedure runs", async () => {
    const { status, body } = await call("echo", { text: "a\u0000b" });
    expect(status).toBe(400);
    expect(body).toContain("Input must not contain NUL characters.");
    expect((await call("echo", { text: "fine" })).status).toBe(200);
  });
});
