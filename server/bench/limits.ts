import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import pg from "pg";
import { createDatabase } from "../db/client";
import { createApiKey } from "../serving/api-keys";
import { startEmbeddedPostgres } from "../db/embedded";
import { freePort } from "../runtime/ports";
import { MemoryTokenBuckets } from "../serving/rate-limit";
import { RedisTokenBuckets } from "../serving/redis-token-buckets";
import { startRedis } from "../testing/redis";
import { freshDatabase } from "./harness";

// `npm run bench:limits`: the cost of one rate-limit check of an API request, per place the buckets
// live: this process's memory, Redis (one EVALSHA), PostgreSQL (one call of a PL/pgSQL token bucket
// on an unlogged table: the best case for a shared limit in the database). All on one key, as an app
// backend's requests are: its bucket is the hot spot. Then the same through HTTP: two REST servers
// on one database, one with its buckets in memory and one in Redis, loaded in turn for the same time
// (so a busy machine weighs on both alike).

type Take = () => Promise<number>;

const RATE = 1_000_000; // never refuses: every check does the full work
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Latencies (ms) of `count` checks one after another. */
async function sequential(take: Take, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await take();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** Latencies (ms) of checks started at `rate` a second for `seconds` (the serving bench's 500 requests/s), each from its call. */
async function paced(take: Take, rate: number, seconds: number): Promise<number[]> {
  const times: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = start + (i * 1000) / rate;
    const ahead = due - performance.now();
    if (ahead > 1) await sleep(ahead);
    const started = performance.now();
    pending.push(
      take().then(() => {
        times.push(performance.now() - started);
      }),
    );
  }
  await Promise.all(pending);
  return times.sort((a, b) => a - b);
}

/** Checks a second with `callers` waiting on their own checks, one after another. */
async function capacity(take: Take, callers: number, seconds: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        await take();
        done++;
      }
    }),
  );
  return done / seconds;
}

const POSTGRES_BUCKET = `
CREATE UNLOGGED TABLE bench_buckets (name text PRIMARY KEY, tokens float8 NOT NULL, at timestamptz NOT NULL);
CREATE FUNCTION bench_take(bucket text, rate float8, burst float8) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  now timestamptz := clock_timestamp();
  left_ float8;
  wait float8 := 0;
BEGIN
  INSERT INTO bench_buckets VALUES (bucket, burst, now) ON CONFLICT DO NOTHING;
  SELECT least(burst, tokens + extract(epoch FROM now - at) * rate) INTO left_ FROM bench_buckets WHERE name = bucket FOR UPDATE;
  IF left_ < 1 THEN wait := (1 - left_) / rate; ELSE left_ := left_ - 1; END IF;
  UPDATE bench_buckets SET tokens = left_, at = now WHERE name = bucket;
  RETURN wait;
END $$;`;

/** A REST server in a process of its own (server/testing/rest-process.ts); resolves with its URL. */
function restProcess(env: Record<string, string>): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/testing/rest-process.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (chunk: Buffer) => resolve({ url: chunk.toString().trim(), stop: () => child.kill("SIGTERM") }));
    child.once("exit", (code) => reject(new Error(`the REST process exited (code ${code})`)));
  });
}

/** p50 and p99 (ms) of `rounds` blocks of `seconds` at `rate` on each server in turn. */
async function alternate(servers: { label: string; url: string }[], key: string, rate: number, seconds: number, rounds: number) {
  const latencies = new Map(servers.map((s) => [s.label, { p50: [] as number[], p99: [] as number[], non2xx: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const server of round % 2 ? [...servers].reverse() : servers) {
      // A bad track id: the gate's work and nothing after it (400).
      const result = await autocannon({
        url: `${server.url}/api/v1/tracks/x/similar`,
        connections: 10,
        overallRate: rate,
        duration: seconds,
        headers: { authorization: `Bearer ${key}` },
      });
      const seen = latencies.get(server.label)!;
      seen.p50.push(result.latency.p50);
      seen.p99.push(result.latency.p99);
      seen.non2xx += result.non2xx - (result.statusCodeStats?.["400"]?.count ?? 0);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return [...latencies].map(([label, l]) => ({
    "buckets in": label,
    "p50 ms (median of blocks)": median(l.p50),
    "p99 ms (median of blocks)": median(l.p99),
    "p99 ms per block": l.p99.join(" "),
    "other than 400": l.non2xx,
  }));
}

async function main() {
  const root = await mkdtemp(path.join(os.tmpdir(), "encore-bench-limits-"));
  await chmod(root, 0o755);
  const postgres = await startEmbeddedPostgres({
    dir: path.join(root, "pg"),
    port: await freePort(),
    password: "bench-limits",
    database: "postgres",
    log: () => undefined,
  });
  const redis = await startRedis();
  const url = await freshDatabase(postgres.url, "bench_limits");
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const buckets = new RedisTokenBuckets(redis.url);
  try {
    await pool.query(POSTGRES_BUCKET);
    const memory = new MemoryTokenBuckets();
    const places: [string, Take][] = [
      ["memory (one process)", () => memory.take("key:1", RATE, RATE)],
      ["Redis 7, EVALSHA", () => buckets.take("key:1", RATE, RATE)],
      [
        "PostgreSQL 18, PL/pgSQL",
        async () =>
          (await pool.query<{ wait: number }>({ name: "take", text: "SELECT bench_take($1, $2, $3) AS wait", values: ["key:1", RATE, RATE] })).rows[0]!.wait,
      ],
    ];
    const rows = [];
    for (const [place, take] of places) {
      await sequential(take, 500); // warm-up
      const one = await sequential(take, 3000);
      const loaded = await paced(take, 500, 10);
      const most = await capacity(take, 10, 5);
      rows.push({
        "buckets in": place,
        "p50 µs": Math.round(quantile(one, 0.5) * 1000),
        "p99 µs": Math.round(quantile(one, 0.99) * 1000),
        "at 500/s p99 µs": Math.round(quantile(loaded, 0.99) * 1000),
        "checks/s, 10 callers": Math.round(most),
      });
    }
    console.log("\none rate-limit check on one key (node-side latency, including the round trip):");
    console.table(rows);
    const database = createDatabase(url, 2);
    const { key } = await createApiKey(database.db, { name: "bench", scopes: ["recommendations:read"], ratePerSecond: RATE, burst: RATE }, { email: "bench" });
    await database.close();
    const servers = [await restProcess({ DATABASE_URL: url, REDIS_URL: "" }), await restProcess({ DATABASE_URL: url, REDIS_URL: redis.url })];
    try {
      const http = await alternate(
        [
          { label: "memory", url: servers[0]!.url },
          { label: "Redis", url: servers[1]!.url },
        ],
        key,
        500,
        5,
        6,
      );
      console.log("\nthrough HTTP, 500 requests/s on 10 connections, 6 blocks of 5 s on each server in turn (a key lookup in PostgreSQL, then the check):");
      console.table(http);
    } finally {
      for (const server of servers) server.stop();
    }
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  } finally {
    await buckets.close();
    await pool.end();
    await redis.stop();
    await postgres.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
