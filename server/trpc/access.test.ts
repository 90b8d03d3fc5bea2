import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../db/generated/enums";
import { ROLES } from "../auth/roles";
import { stopLocalRuns } from "../pipeline/runner";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import type { Context, Meta } from "./init";
import { appRouter, createCaller } from "./root";
import { createApiKey } from "../serving/api-keys";
import { SCOPES, type Scope } from "../serving/scopes";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
// Operators' procedures start real runs (an ingestion retrying its source): they stop before the database goes.
afterAll(async () => {
  await stopLocalRuns("the test is over");
  await database.drop();
});

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>).map(([path, procedure]) => ({
  path,
  access: procedure._def.meta?.access ?? "public",
  scope: procedure._def.meta?.scope,
}));

function context(role: Role | null, authorization: string | null = null): Context {
  return { db: database.db, database, ip: "127.0.0.1", authorization, operator: role && { id: 999_999, email: `${role}@test`, name: role, role } };
}

/** Calls a procedure by its dotted path, with no input: access is checked before input is parsed. */
async function codeOf(role: Role | null, path: string, authorization: string | null = null): Promise<string> {
  let target: unknown = createCaller(context(role, authorization));
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  try {
    await (target as (input?: unknown) => Promise<unknown>)();
    return "OK";
  } catch (error) {
    return error instanceof TRPCError ? error.code : "THROWN";
  }
}

describe("every tRPC procedure enforces its access rule", () => {
  it("has procedures to check", () => {
    expect(procedures.length).toBeGreaterThan(3);
    expect(procedures.some((p) => p.access === "admin")).toBe(true);
  });

  it.each(procedures.filter((p) => p.access !== "public"))("$path ($access) answers UNAUTHORIZED without a session", async ({ path }) => {
    expect(await codeOf(null, path)).toBe("UNAUTHORIZED");
  });

  it.each(procedures.filter((p) => p.access !== "public" && p.access !== "viewer"))(
    "$path ($access) answers FORBIDDEN to every lower role",
    async ({ path, access }) => {
      const lower = ROLES.slice(0, ROLES.indexOf(access as Role));
      for (const role of lower) expect(`${role}: ${await codeOf(role, path)}`).toBe(`${role}: FORBIDDEN`);
    },
  );

  it.each(procedures.filter((p) => p.access !== "public"))("$path ($access) lets its own role past the access check", async ({ path, access }) => {
    expect(["UNAUTHORIZED", "FORBIDDEN"]).not.toContain(await codeOf(access as Role, path));
  });
});

describe("API keys reach the serving procedures and nothing else", () => {
  const keyWith = async (scopes: Scope[]) =>
    `Bearer ${(await createApiKey(database.db, { name: scopes.join(" ") || "none", scopes }, { email: "admin@test" })).key}`;

  it("has scoped procedures to check", () => {
    expect(
      procedures
        .filter((p) => p.scope)
        .map((p) => p.path)
        .sort(),
    ).toEqual(["events.record", "recommendations.forUser", "recommendations.similar"]);
  });

  it.each(procedures.filter((p) => p.scope))(
    "$path ($scope): a key with the scope passes, one without is FORBIDDEN, an unknown one UNAUTHORIZED",
    async ({ path, scope }) => {
      expect(["UNAUTHORIZED", "FORBIDDEN"]).not.toContain(await codeOf(null, path, await keyWith([scope!])));
      expect(await codeOf(null, path, await keyWith(SCOPES.filter((s) => s !== scope)))).toBe("FORBIDDEN");
      expect(await codeOf(null, path, `Bearer ek_${"x".repeat(43)}`)).toBe("UNAUTHORIZED");
    },
  );

  it.each(procedures.filter((p) => p.access !== "public" && !p.scope))("$path: a key with every scope is still UNAUTHORIZED", async ({ path }) => {
    expect(await codeOf(null, path, await keyWith([...SCOPES]))).toBe("UNAUTHORIZED");
  });
});
