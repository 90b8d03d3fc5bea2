import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { describe, expect, it } from "vitest";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { DomainError } from "./errors";

/** A copy of DomainError as another bundle of this module would have it: same shape, another class. */
class OtherCopyOfDomainError extends Error {
  readonly domainError = true;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const router = createTRPCRouter({
  conflict: publicProcedure.mutation(() => Promise.reject(new DomainError("CONFLICT", "Ann decided it first."))),
  precondition: publicProcedure.mutation(() => Promise.reject(new OtherCopyOfDomainError("PRECONDITION_FAILED", "Version 3's artefact was pruned."))),
  missing: publicProcedure.query(() => Promise.reject(new DomainError("NOT_FOUND", "No run 9."))),
});

const call = async (path: string, method = "POST") => {
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(
      `http://encore.test/api/trpc/${path}`,
      method === "POST" ? { method, headers: { "content-type": "application/json" }, body: "{}" } : { method },
    ),
    router,
    createContext: () => ({}) as never,
  });
  return { status: response.status, body: await response.text() };
};

describe("domain errors reach tRPC callers as the 4xx of their code, with their message", () => {
  it.each([
    ["conflict", "POST", 409, "Ann decided it first."],
    ["precondition", "POST", 412, "Version 3's artefact was pruned."],
    ["missing", "GET", 404, "No run 9."],
  ])("%s → %i", async (path, method, status, message) => {
    const answer = await call(path, method);
    expect(answer.status).toBe(status);
    expect(answer.body).toContain(message);
    expect(answer.body).not.toContain("error id");
  });
});
