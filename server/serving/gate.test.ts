import { setTimeout as sleep } from "node:timers/promises";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTRPCRouter, retryAfterHeaders, scopedProcedure } from "../trpc/init";
import { createApiKey } from "./api-keys";
import { listenRest, type RestServer } from "./node-http";

// A burst of 30 bad keys per address, then 3 a second.
process.env.API_AUTH_FAILURES_PER_SECOND = "3";

let database: TestDatabase;
let server: RestServer;
const admin = { email: "admin@test" };

beforeAll(async () => {
  database = await createTestDatabase();
  server = await listenRest(database);
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

const similar = (key: string) => fetch(`${server.url}/api/v1/tracks/1/similar`, { headers: { authorization: `Bearer ${key}` } });

describe("an address refused for bad keys", () => {
  it("costs no database lookup per unknown key once refused, while valid keys from it still pass", async () => {
    const { key: valid } = await createApiKey(database.db, { name: "app", scopes: ["recommendations:read"] }, admin);
    const queries = vi.spyOn(database.pool, "query");
    const statuses: number[] = [];
    for (let i = 0; i < 400; i++) statuses.push((await similar(`ek_guess${i}`)).status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(30);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(300);
    // The burst's 30 lookups, the few tokens refilled meanwhile, and the live keys read about once a second (today: one lookup per request).
    expect(queries.mock.calls.length).toBeLessThan(60);
    queries.mockRestore();

    // A valid key never used before, sent from the same address, passes (404: no catalogue in this database).
    expect((await similar(valid)).status).toBe(404);

    // One created during the flood passes within about a second.
    const { key: fresh } = await createApiKey(database.db, { name: "fresh", scopes: ["recommendations:read"] }, admin);
    let status = 0;
    for (let tries = 0; tries < 30 && status !== 404; tries++) {
      status = (await similar(fresh)).status;
      if (status !== 404) {
        await similar("ek_still-guessing");
        await sleep(100);
      }
    }
    expect(status).toBe(404);
  });
});

describe("tRPC's 429", () => {
  it("carries Retry-After, as the REST API's does", async () => {
    const { key } = await createApiKey(database.db, { name: "slow", scopes: ["recommendations:read"], ratePerSecond: 1, burst: 1 }, admin);
    const router = createTRPCRouter({ ping: scopedProcedure("recommendations:read", "viewer").query(() => "pong") });
    const call = () =>
      fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request("http://encore.test/api/trpc/ping"),
        router,
        createContext: () => ({ db: database.db, database, operator: null, ip: "203.0.113.9", authorization: `Bearer ${key}` }),
        responseMeta: retryAfterHeaders,
      });
    const first = await call();
    expect(first.status).toBe(200);
    expect(first.headers.get("retry-after")).toBeNull();
    const second = await call();
    expect(second.status).toBe(429);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});
