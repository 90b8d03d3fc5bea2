import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../runtime/ports";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { startRedis, type TestRedis } from "../testing/redis";
import { createApiKey, revokeApiKey } from "./api-keys";
import type { TokenBuckets } from "./rate-limit";
import { RedisTokenBuckets } from "./redis-token-buckets";

// Three web processes, as `npm run web` three times: each its own REST server and its own limits.
const FAILURES_PER_SECOND = 2; // burst 10× = 20, as the key's below

interface RestProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

const started: RestProcess[] = [];

async function startRestProcess(database: TestDatabase, redisUrl: string, env: Record<string, string> = {}): Promise<RestProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/testing/rest-process.ts"], {
    env: { ...process.env, DATABASE_URL: database.url, REDIS_URL: redisUrl, API_AUTH_FAILURES_PER_SECOND: String(FAILURES_PER_SECOND), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) resolve(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`the REST process exited (code ${code}):\n${stderr}`)));
  });
  const process_: RestProcess = {
    url,
    log: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
  started.push(process_);
  return process_;
}

/** Every server called (a bad track id: past the limits, the answer costs no query) as fast as `perServer` connections each allow for `seconds`; the count of each status. */
async function hammer(urls: string[], authorization: string, seconds: number, perServer = 4): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  const deadline = performance.now() + seconds * 1000;
  const loop = async (url: string) => {
    while (performance.now() < deadline) {
      const response = await fetch(`${url}/api/v1/tracks/x/similar`, { headers: { authorization } });
      await response.arrayBuffer();
      counts[response.status] = (counts[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(urls.flatMap((url) => Array.from({ length: perServer }, () => loop(url))));
  return counts;
}

let database: TestDatabase;
let redis: TestRedis;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await redis?.stop();
  await database?.drop();
});

/**
 * How many of the checks `instances` make as fast as they can for about `seconds` on bucket `name`
 * pass, and the seconds from the first check sent to the last answered (a busy machine runs over).
 */
async function admitted(
  instances: TokenBuckets[],
  name: string,
  rate: number,
  burst: number,
  seconds: number,
): Promise<{ passed: number; refused: number; seconds: number }> {
  const counts = { passed: 0, refused: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    instances.flatMap((buckets) =>
      Array.from({ length: 4 }, async () => {
        while (performance.now() < deadline) counts[(await buckets.take(name, rate, burst)) === 0 ? "passed" : "refused"]++;
      }),
    ),
  );
  return { ...counts, seconds: (performance.now() - started) / 1000 };
}

describe("rate limits shared through Redis by three web processes", () => {
  it("pass a key at 100 requests/s (burst 200) about 700 times in 5 s, not 2,100, and an address's unknown keys at 20/s (burst 200) about 300, not 900", async () => {
    // Three limiters, each with its own connection, as three processes hold them; the gate names its buckets so.
    const instances = [0, 1, 2].map(() => new RedisTokenBuckets(redis.url));
    try {
      await Promise.all(instances.map((i) => i.take("warm-up", 1, 1))); // connected before the clock starts
      const [key, address] = await Promise.all([admitted(instances, "key:1", 100, 200, 5), admitted(instances, "address:203.0.113.9", 20, 200, 5)]);
      expect(key.refused).toBeGreaterThan(2100); // enough load that each counting alone would pass 700
      expect(key.passed).toBeLessThan(750);
      // 200 + 100 × 5: a bucket's burst and its refill over the time the checks took
      expect(key.passed).toBeLessThanOrEqual(200 + 100 * key.seconds + 1);
      expect(key.passed).toBeGreaterThanOrEqual(200 + 100 * 5 * 0.95);
      expect(address.passed).toBeLessThan(350);
      expect(address.passed).toBeLessThanOrEqual(200 + 20 * address.seconds + 1);
      expect(address.passed).toBeGreaterThanOrEqual(200 + 20 * 5 * 0.95);
    } finally {
      await Promise.all(instances.map((i) => i.close()));
    }
  });

  it("hold over HTTP through three REST processes (at a tenth of the rate, which a busy 2-core machine can offer): a key at 10/s (burst 20) about 70 times in 5 s, not 210; unknown keys at 2/s (burst 20) about 30, not 90", async () => {
    const servers = await Promise.all([0, 1, 2].map(() => startRestProcess(database, redis.url)));
    const urls = servers.map((s) => s.url);
    const admin = { email: "admin@test" };
    // Each process's pool, Redis connection and code warm first, so the 5 s below are all at full load.
    const { key: warm } = await createApiKey(database.db, { name: "warm-up", scopes: ["recommendations:read"], ratePerSecond: 100_000, burst: 100_000 }, admin);
    await hammer(urls, `Bearer ${warm}`, 1);
    const { key } = await createApiKey(database.db, { name: "app", scopes: ["recommendations:read"], ratePerSecond: 10, burst: 20 }, admin);

    // Passed: 400 (past the limits, the bad track id); refused: 429.
    const valid = await hammer(urls, `Bearer ${key}`, 5);
    expect(valid[429]).toBeGreaterThan(150); // enough load that each process counting alone would pass its 70
    expect(valid[400]).toBeGreaterThanOrEqual(62);
    expect(valid[400]).toBeLessThanOrEqual(72); // 20 + 10 × 5

    // Unknown keys from one address (127.0.0.1): 401 while its bucket lasts, then 429.
    const unknown = await hammer(urls, "Bearer ek_guessing", 5);
    expect(unknown[429]).toBeGreaterThan(150);
    expect(unknown[401]).toBeGreaterThanOrEqual(26);
    expect(unknown[401]).toBeLessThanOrEqual(32); // 20 + 2 × 5
    for (const server of servers) expect(server.log()).not.toContain("cannot be reached");
  });
});

describe("a web process whose Redis cannot be reached", () => {
  it("limits on its own, never answers 500, and says so once per outage", async () => {
    const port = await freePort();
    const server = await startRestProcess(database, `redis://127.0.0.1:${port}`);
    const { key } = await createApiKey(database.db, { name: "outage", scopes: ["recommendations:read"], ratePerSecond: 1, burst: 3 }, { email: "admin@test" });
    const call = async () => (await fetch(`${server.url}/api/v1/tracks/x/similar`, { headers: { authorization: `Bearer ${key}` } })).status;
    const outages = () => server.log().split("cannot be reached").length - 1;

    // Nothing on the port yet: the in-process bucket (burst 3, and a token a second), not 500s.
    const first = await Promise.all(Array.from({ length: 10 }, call));
    expect(first.filter((s) => s !== 400 && s !== 429)).toEqual([]);
    expect(first.filter((s) => s === 400).length).toBeGreaterThanOrEqual(3);
    expect(first.filter((s) => s === 400).length).toBeLessThanOrEqual(4);
    expect(outages()).toBe(1);

    // Redis starts: within a few seconds the process shares its limits again, and says so.
    const late = await startRedis(port);
    for (let tries = 0; tries < 100 && !server.log().includes("answers again"); tries++) {
      await call();
      await sleep(100);
    }
    expect(server.log()).toContain("answers again");

    // Redis crashes: still no 500, and one more line in the log.
    await late.stop();
    const after = await Promise.all(Array.from({ length: 10 }, call));
    expect(after.filter((s) => s !== 400 && s !== 429)).toEqual([]);
    expect(outages()).toBe(2);
  });
});

describe("a key revoked while web processes keep it in memory", () => {
  it("is refused by every process within moments, though each may keep a key 300 s", async () => {
    const servers = await Promise.all([0, 1].map(() => startRestProcess(database, redis.url, { API_KEY_CACHE_SECONDS: "300" })));
    const admin = { email: "admin@test" };
    const { key, record } = await createApiKey(database.db, { name: "revoked soon", scopes: ["recommendations:read"] }, admin);
    const call = async (url: string) => (await fetch(`${url}/api/v1/tracks/x/similar`, { headers: { authorization: `Bearer ${key}` } })).status;
    for (const { url } of servers) for (let i = 0; i < 3; i++) expect(await call(url)).toBe(400);

    await revokeApiKey(database.db, record.id, admin);
    const revokedAt = performance.now();
    for (const { url } of servers) {
      let status = await call(url);
      while (status !== 401 && performance.now() - revokedAt < 3000) status = await call(url);
      expect(status).toBe(401);
    }
    expect(performance.now() - revokedAt).toBeLessThan(3000);
  });
});
