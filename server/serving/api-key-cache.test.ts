import pg from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ApiKeyCache } from "./api-key-cache";
import { authenticateKey, cacheApiKeys, createApiKey, revokeApiKey } from "./api-keys";
import { servingMetrics } from "./request-metrics";

let database: TestDatabase;
let other: pg.Client;
const admin = { email: "admin@test" };

beforeAll(async () => {
  database = await createTestDatabase();
  // Another process's connection (the CLI, psql): changes made here reach the cache only as notifications.
  other = new pg.Client({ connectionString: database.url });
  await other.connect();
});

afterAll(async () => {
  await other?.end();
  await database?.drop();
});

async function until(condition: () => boolean | Promise<boolean>, ms = 3000): Promise<boolean> {
  for (const deadline = performance.now() + ms; performance.now() < deadline; await sleep(20)) if (await condition()) return true;
  return condition();
}

const lookups = async (from: "memory" | "database") => (await servingMetrics().keyLookups.get()).values.find((v) => v.labels.from === from)?.value ?? 0;

/** Whether `key`'s next check is answered from memory (and is that key). */
async function fromMemory(key: string): Promise<boolean> {
  const before = await lookups("memory");
  const principal = await authenticateKey(database.pool, key);
  return principal !== null && (await lookups("memory")) === before + 1;
}

describe("API keys kept in memory", () => {
  it("are checked without a query once looked up, and refused within moments of a revocation made elsewhere", async () => {
    const stop = cacheApiKeys(database.pool, { entryMs: 300_000 });
    try {
      const { key, record } = await createApiKey(database.db, { name: "app", scopes: ["recommendations:read"] }, admin);
      expect(await until(() => fromMemory(key))).toBe(true);

      // last_used_at, written once a minute per key, is not a change to who the key is.
      await other.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [record.id]);
      await sleep(200);
      expect(await fromMemory(key)).toBe(true);

      // Revoked by plain SQL on another connection: kept for 300 s were the change not heard.
      const revokedAt = performance.now();
      await other.query("UPDATE api_keys SET revoked_at = now(), revoked_by = 'psql' WHERE id = $1", [record.id]);
      expect(await until(async () => (await authenticateKey(database.pool, key)) === null)).toBe(true);
      expect(performance.now() - revokedAt).toBeLessThan(3000);
    } finally {
      await stop();
    }
  });

  it("are refused from the next request after a revocation in this process, and with no cache every check is a query", async () => {
    const stop = cacheApiKeys(database.pool, { entryMs: 300_000 });
    const { key, record } = await createApiKey(database.db, { name: "console", scopes: ["recommendations:read"] }, admin);
    try {
      expect(await until(() => fromMemory(key))).toBe(true);
      await revokeApiKey(database.db, record.id, admin);
      expect(await authenticateKey(database.pool, key)).toBeNull();
    } finally {
      await stop();
    }
    const { key: plain } = await createApiKey(database.db, { name: "uncached", scopes: ["recommendations:read"] }, admin);
    const before = await lookups("database");
    for (let i = 0; i < 3; i++) expect((await authenticateKey(database.pool, plain))?.name).toBe("uncached");
    expect(await lookups("database")).toBe(before + 3);
  });

  it("does not keep what a lookup under way when a change is heard returns", async () => {
    const cache = new ApiKeyCache<string>(database.url);
    try {
      expect(await until(() => cache.listening)).toBe(true);
      await cache.get("probe", async () => "probe");
      let answer: (value: string) => void = () => undefined;
      const pending = cache.get("hash", () => new Promise<string>((resolve) => (answer = resolve)));
      await other.query("UPDATE api_keys SET burst = burst WHERE false"); // a statement that changes no row is still heard
      // Heard once the probe is gone.
      expect(await until(async () => !(await cache.get("probe", async () => "probe")).cached)).toBe(true);
      answer("stale");
      expect(await pending).toEqual({ value: "stale", cached: false });
      expect(await cache.get("hash", async () => "fresh")).toEqual({ value: "fresh", cached: false });
      expect(await cache.get("hash", async () => "never read")).toEqual({ value: "fresh", cached: true });
    } finally {
      await cache.close();
    }
  });

  it("keeps nothing while its connection is lost, says so once, and keeps keys again once it listens again", async () => {
    const lines: string[] = [];
    const cache = new ApiKeyCache<string>(database.url, { retryMs: 300, log: (line) => lines.push(line) });
    try {
      expect(await until(() => cache.listening)).toBe(true);
      await cache.get("hash", async () => "kept");
      expect(await cache.get("hash", async () => "never read")).toEqual({ value: "kept", cached: true });

      await other.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'encore api key cache' AND datname = current_database()",
      );
      expect(await until(() => !cache.listening)).toBe(true);
      expect(await cache.get("hash", async () => "read again")).toEqual({ value: "read again", cached: false });
      expect((await cache.get("hash", async () => "and again")).cached).toBe(false);
      expect(lines.filter((l) => l.includes("looked up on every request"))).toHaveLength(1);

      expect(await until(() => cache.listening)).toBe(true);
      await cache.get("hash", async () => "back");
      expect(await cache.get("hash", async () => "never read")).toEqual({ value: "back", cached: true });
      expect(lines.at(-1)).toContain("heard again");
    } finally {
      await cache.close();
    }
  });
});
