import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createDatabase, type Database } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { freePort } from "../runtime/ports";
import { createExperiment, startExperiment, stopExperiment } from "../experiments/experiments";
import { createApiKey } from "../serving/api-keys";
import { catalogueOptions } from "../simulator/options";
import { startSimulator } from "../simulator/server";
import { assignVariant, designOf } from "../experiments/assignment";
import { startRedis, type TestRedis } from "../testing/redis";
import { alternatingLoad } from "./alternating-load";
import { openLoop, type KindLatency } from "./open-loop";
import { cpuSeconds, descendantsRunning, freshDatabase, ingest, peakRss, runJob } from "./harness";
import { quantileDifference } from "./latency-histogram";
import { median } from "../lib/percentiles";

// `npm run bench:serve [-- --scale 10]`: ingests and trains the realistic simulator at 20,000 users × 50,000 tracks (times `scale`),
// starts the production server (`npm start`) on that database, and loads it with autocannon.

const SEED = 42;
/** The serving target, for every kind of request in the mix at 500 requests/s. */
const P99_TARGET_MS = 20;
/** Rates tried when 500 requests/s misses the target, to print the highest that meets it. */
const SLOWER_RATES = [400, 300, 250, 200, 150, 100];
const SIZES = { users: 20000, tracks: 50000, histories: 100000, itemsPerHistory: 20 };
/** SIZES times `scale` (bench:scale's shapes), items per history unchanged. */
const scaled = (scale: number) => ({ ...SIZES, users: SIZES.users * scale, tracks: SIZES.tracks * scale, histories: SIZES.histories * scale });

interface Step {
  label: string;
  rate?: number;
  connections: number;
  seconds: number;
}

/** Timestamped progress on standard error. */
const step = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** The last lines of a process's output, shown when the bench fails. */
class Tail {
  private lines: string[] = [];
  constructor(private readonly kept = 60) {}
  add(text: string): void {
    this.lines.push(...text.split("\n").filter((line) => line.trim()));
    this.lines.splice(0, Math.max(0, this.lines.length - this.kept));
  }
  toString(): string {
    return this.lines.join("\n");
  }
}

/** `npm start` against the bench's database and simulator; resolves once it answers. */
async function startConsole(env: Record<string, string>, port: number, output: Tail): Promise<ChildProcess> {
  const child = spawn("npm", ["start"], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.on("data", (c: Buffer) => output.add(c.toString()));
  child.stderr!.on("data", (c: Buffer) => output.add(c.toString()));
  child.once("exit", (code, signal) => step(`npm start exited (code ${code}, signal ${signal})`));
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
    const ready = await fetch(`http://127.0.0.1:${port}/api/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return child;
    await sleep(500);
  }
  throw new Error(`npm start did not become ready:\n${output}`);
}

function load(url: string, key: string, users: number[], step: Step): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: step.connections,
    duration: step.seconds,
    ...(step.rate ? { overallRate: step.rate } : {}),
    headers: { authorization: `Bearer ${key}` },
    requests: [
      {
        method: "GET",
        setupRequest: (request) => ({ ...request, path: `/api/v1/users/${users[Math.floor(Math.random() * users.length)]}/recommendations?k=20` }),
      },
    ],
  });
}

function loadEvents(url: string, key: string, users: number[], tracks: number[], seconds: number): Promise<autocannon.Result> {
  const pick = <T>(values: T[]) => values[Math.floor(Math.random() * values.length)]!;
  const types = ["impression", "impression", "impression", "play", "skip", "like", "dislike"];
  return autocannon({
    url,
    connections: 4,
    duration: seconds,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    requests: [
      {
        method: "POST",
        path: "/api/v1/events",
        setupRequest: (request) => {
          const at = new Date().toISOString();
          const events = Array.from({ length: 1000 }, () => ({ id: randomUUID(), userId: pick(users), trackId: pick(tracks), type: pick(types), at }));
          return { ...request, body: JSON.stringify({ events }) };
        },
      },
    ],
  });
}

const row = (label: string, r: autocannon.Result) => ({
  step: label,
  "req/s": Math.round(r.requests.average),
  "p50 ms": r.latency.p50,
  "p99 ms": r.latency.p99,
  "max ms": r.latency.max,
  "non-2xx": r.non2xx,
  errors: r.errors + r.timeouts,
});

async function prepare(database: Database, url: string, root: string, scale: number) {
  const lakeDir = path.join(root, "lake");
  const sizes = scaled(scale);
  const simulator = await startSimulator({ ...catalogueOptions("realistic", SEED, sizes) });
  step(`ingesting ${sizes.users} users, ${sizes.tracks} tracks, ${sizes.histories} histories…`);
  await ingest(database, simulator, lakeDir);
  step("training…");
  const job = await runJob("train", { DATABASE_URL: url, DATA_LAKE_DIR: lakeDir, DATA_DIR: path.join(root, "data"), TRAIN_SEED: String(SEED) });
  if (job.code !== 0) throw new Error(`the train job failed:\n${job.output.slice(-2000)}`);
  step(`trained in ${job.seconds.toFixed(0)} s`);
  return { simulator, lakeDir };
}

async function main() {
  // --redis: the API's rate limits shared through a Redis of the bench's own (REDIS_URL), as several web processes use them.
  // --web-processes N: npm start with WEB_PROCESSES=N (several processes on the one port).
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "30" },
      "exposure-seconds": { type: "string", default: "240" },
      redis: { type: "boolean", default: false },
      "web-processes": { type: "string", default: "1" },
      scale: { type: "string", default: "1" },
      keep: { type: "string" },
      "open-loop-runs": { type: "string", default: "3" },
    },
  });
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 100)) throw new Error(`--scale takes a factor from 0 to 100, not ${values.scale}`);
  const openLoopRuns = Number(values["open-loop-runs"]);
  if (!(Number.isInteger(openLoopRuns) && openLoopRuns >= 1 && openLoopRuns <= 10))
    throw new Error(`--open-loop-runs takes 1 to 10, not ${values["open-loop-runs"]}`);
  const webProcesses = Number(values["web-processes"]);
  const seconds = Number(values.seconds);
  const exposureSeconds = Number(values["exposure-seconds"]);
  // --keep DIR: the database, lake and models stay in DIR, and a later run with the same DIR and scale serves them again (no ingest, no train).
  const root = values.keep ? path.resolve(values.keep) : await mkdtemp(path.join(os.tmpdir(), "encore-bench-serve-"));
  await mkdir(root, { recursive: true });
  await chmod(root, 0o755);
  const preparedFile = path.join(root, `prepared-at-scale-${scale}.json`);
  const logs = { server: new Tail(), postgres: new Tail() };
  const pg = await startEmbeddedPostgres({
    dir: path.join(root, "pg"),
    port: await freePort(),
    password: "bench-serve",
    database: "postgres",
    log: (line) => logs.postgres.add(line),
  });
  let server: ChildProcess | undefined;
  let redis: TestRedis | undefined;
  try {
    const reused = values.keep !== undefined && existsSync(preparedFile);
    const url = reused ? `${pg.url.replace(/\/[^/]*$/, "")}/bench_serve` : await freshDatabase(pg.url, "bench_serve");
    const database = createDatabase(url, 2);
    const { simulator, lakeDir } = reused
      ? { simulator: await startSimulator({ ...catalogueOptions("realistic", SEED, scaled(scale)) }), lakeDir: path.join(root, "lake") }
      : await prepare(database, url, root, scale);
    // The app's backend is allowed more than the default 1,000 requests/s, as a deployment would configure it.
    const { key } = await createApiKey(
      database.db,
      { name: "bench", scopes: ["recommendations:read", "events:write"], ratePerSecond: 100_000, burst: 100_000 },
      { email: "bench" },
    );
    const users = (await database.db.user.findMany({ select: { id: true } })).map((u) => u.id);
    const tracks = (await database.db.track.findMany({ select: { id: true } })).map((t) => t.id);
    const port = await freePort();
    if (values.redis) redis = await startRedis();
    step("starting npm start (builds first if the sources changed)…");
    server = await startConsole(
      {
        ...(redis ? { REDIS_URL: redis.url } : {}),
        DATABASE_URL: url,
        MOOVITAMIX_URL: simulator.url,
        DATA_DIR: path.join(root, "data"),
        DATA_LAKE_DIR: lakeDir,
        NEXTAUTH_SECRET: randomBytes(32).toString("hex"),
        SCHEDULER: "off",
        WEB_PROCESSES: String(webProcesses),
      },
      port,
      logs.server,
    );
    const base = `http://127.0.0.1:${port}`;
    // The listeners who ask are the recently active ones, those the train run stored batch rows for (SCORE_RECENT_DAYS).
    const champion = await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } });
    // Read before some of their rows are deleted below; a kept directory remembers it.
    const asking: number[] = reused
      ? JSON.parse(await readFile(preparedFile, "utf8")).asking
      : (await database.db.recommendation.findMany({ where: { versionId: champion.versionId }, select: { userId: true } })).map((r) => r.userId);
    if (values.keep && !reused) await writeFile(preparedFile, JSON.stringify({ asking }));
    step(`serving ${asking.length} recently active listeners of ${users.length}; warm-up, then 500 req/s and the open loop`);
    await load(base, key, asking, { label: "warm-up", connections: 10, seconds: 5 });

    // Every kind of request, evenly spaced at 500/s: most listeners have a batch row; a genre filter and
    // a listener without a row (rows deleted here, as for one who joined after the train run) are answered from scratch.
    const withoutRow = asking.filter((_, i) => i % 20 === 0);
    await database.pool.query("DELETE FROM recommendations WHERE version_id = $1 AND user_id = ANY($2)", [champion.versionId, withoutRow]);
    const withRow = asking.filter((_, i) => i % 20 !== 0);
    // Genres the catalogue holds (a name it lacks would be answered with nothing, at no cost): its six largest.
    const { rows: genreRows } = await database.pool.query<{ genre: string }>(
      "SELECT trim(g) AS genre FROM tracks, unnest(string_to_array(genres, ',')) AS g GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 6",
    );
    const genres = genreRows.map((r) => r.genre);
    const any = <T>(values: T[]) => values[Math.floor(Math.random() * values.length)]!;
    const kinds = [
      { kind: "batch row", share: 0.8, path: () => `/api/v1/users/${any(withRow)}/recommendations?k=20` },
      {
        kind: "genre filter (from scratch)",
        share: 0.1,
        path: () => `/api/v1/users/${any(withRow)}/recommendations?k=20&genre=${encodeURIComponent(any(genres))}`,
      },
      { kind: "no batch row (from scratch)", share: 0.1, path: () => `/api/v1/users/${any(withoutRow)}/recommendations?k=20` },
    ];
    // The first answers computed from scratch in a process stalled it for 330–680 ms (what they build on first use): warmed up apart.
    // The app's connection pool is warm: the measured seconds reuse the warm-up's sockets (opening a
    // hundred at once is not what a steady 500 requests/s looks like).
    const pool = new http.Agent({ keepAlive: true, maxSockets: 256 });
    await openLoop(base, { authorization: `Bearer ${key}` }, kinds, 500, 5, pool);
    // Several runs, each printed with their median: on a shared 2-core machine one run's tail moves by 2× or more (docs/benchmarks.md).
    const mixes: KindLatency[][] = [];
    for (let run = 0; run < openLoopRuns; run++) mixes.push(await openLoop(base, { authorization: `Bearer ${key}` }, kinds, 500, seconds, pool));
    // What this machine sustains at the target: the same mix at lower rates, highest first, until every kind's p99 is ≤ 20 ms.
    const slower: { rate: number; p99s: number[] }[] = [];
    if (kinds.some((_, k) => !(median(mixes.map((mix) => mix[k]!.p99)) <= P99_TARGET_MS)))
      for (const rate of SLOWER_RATES) {
        const mix = await openLoop(base, { authorization: `Bearer ${key}` }, kinds, rate, seconds, pool);
        slower.push({ rate, p99s: mix.map((kind) => kind.p99) });
        if (mix.every((kind) => kind.p99 <= P99_TARGET_MS)) break;
      }
    pool.destroy();
    // CPU per request of each kind alone (the web process's, whatever else the machine runs), at a rate any machine keeps up with.
    const [web] = server.pid ? descendantsRunning(server.pid, "server/cli/serve.ts") : [];
    const alone = [];
    for (const kind of kinds) {
      const before = cpuSeconds(web);
      const [r] = await openLoop(base, { authorization: `Bearer ${key}` }, [{ ...kind, share: 1 }], 100, 10);
      alone.push({ kind: kind.kind, requests: r!.requests, "web CPU ms/request": Number((((cpuSeconds(web) - before) * 1000) / r!.requests).toFixed(2)) });
    }
    const webPeakMb = web ? Math.round(peakRss(web) / 1e6) : Number.NaN;

    const results = [];
    // Ten keep-alive connections, as an app backend's HTTP pool would hold.
    const fixed = await load(base, key, asking, { label: "fixed", rate: 500, connections: 10, seconds });
    results.push(row(`500 req/s for ${seconds} s, 10 connections`, fixed));
    let best: { rate: number; result: autocannon.Result } | undefined;
    for (const connections of [8, 16, 32, 64]) {
      const r = await load(base, key, asking, { label: "open", connections, seconds: 10 });
      results.push(row(`${connections} connections, 10 s, open loop`, r));
      if (r.latency.p99 < 50 && r.non2xx === 0 && (!best || r.requests.average > best.rate)) best = { rate: r.requests.average, result: r };
    }
    // Exposure logging's cost: one steady load alternating every 2 s between listeners outside and
    // inside an A/A experiment on the champion (its batch scores serve both variants). Two runs: the
    // listeners are split in halves by a namespace, and each half is inside in one run, so a
    // difference between the halves themselves falls on both conditions alike.
    const actor = { email: "bench" };
    // Keys of this run: a kept database holds the last run's.
    const run = Date.now().toString(36);
    const halves = [
      { key: `bench-aa-first-half-${run}`, namespace: { name: "bench", start: 0, end: 0.5 } },
      { key: `bench-aa-second-half-${run}`, namespace: { name: "bench", start: 0.5, end: 1 } },
    ];
    const runs: Awaited<ReturnType<typeof alternatingLoad>>[] = [];
    for (const [h, half] of halves.entries()) {
      const experiment = await createExperiment(
        database.db,
        {
          ...half,
          name: "bench",
          hypothesis: "none",
          variants: [
            { key: "a", versionId: champion.versionId, weight: 1 },
            { key: "b", versionId: champion.versionId, weight: 1 },
          ],
          coverage: 1,
          primaryMetric: "hit_rate",
          secondaryMetrics: [],
          guardrailMetrics: [],
          correction: "holm",
          sequential: true,
          alpha: 0.05,
        },
        actor,
      );
      const design = designOf(experiment);
      const within = users.filter((id) => assignVariant(design, id) >= 0);
      const without = users.filter((id) => assignVariant(design, id) < 0);
      await startExperiment(database.db, experiment.key, actor);
      await sleep(5000);
      step(`exposure logging: ${exposureSeconds} s with ${within.length} listeners inside an experiment and ${without.length} outside`);
      // Each run begins its pairs with the other condition, so anything in step with the blocks (a timer) cancels too.
      runs.push(
        await alternatingLoad({ url: base, key, without, within, withinFirst: h === 1, rate: 500, connections: 10, seconds: exposureSeconds, blockMs: 2000 }),
      );
      await stopExperiment(database.db, experiment.key, actor);
    }
    const exposures = await database.db.experimentExposure.count();
    step("feedback events");
    const events = await loadEvents(base, key, users, tracks, 10);
    const stored = await database.db.feedbackEvent.count();
    console.log(
      `\n${webProcesses} web process(es); serving ${users.length} users, ${tracks.length} tracks (realistic simulator, seed ${SEED}); GET /api/v1/users/{random of the ${asking.length} recently active}/recommendations?k=20`,
    );
    console.table(results);
    console.log(
      `at 500 req/s: p50 ${fixed.latency.p50} ms, p99 ${fixed.latency.p99} ms (target p99 ≤ ${P99_TARGET_MS} ms); rate limits ${redis ? "shared through Redis" : "in the process's memory"}`,
    );
    console.log(
      `open loop, ${openLoopRuns} run(s) of 500 req/s evenly spaced for ${seconds} s, latency from each request's intended start (target p99 ≤ ${P99_TARGET_MS} ms for every kind):`,
    );
    const oneDecimal = (v: number) => Number(v.toFixed(1));
    console.table(
      kinds.map((kind, k) => {
        const runs = mixes.map((mix) => mix[k]!);
        return {
          kind: kind.kind,
          requests: runs.reduce((n, r) => n + r.requests, 0),
          failed: runs.reduce((n, r) => n + r.failed, 0),
          "p50 of each run": runs.map((r) => oneDecimal(r.p50)).join(" / "),
          "p99 of each run": runs.map((r) => oneDecimal(r.p99)).join(" / "),
          "median p99": oneDecimal(median(runs.map((r) => r.p99))),
          "max of each run": runs.map((r) => oneDecimal(r.max)).join(" / "),
        };
      }),
    );
    if (slower.length) {
      console.log(`the same mix at lower rates, one ${seconds} s run each, until every kind's p99 is ≤ ${P99_TARGET_MS} ms:`);
      console.table(
        slower.map(({ rate, p99s }) => ({ "req/s": rate, ...Object.fromEntries(kinds.map((kind, k) => [`${kind.kind} p99`, oneDecimal(p99s[k]!)])) })),
      );
    }
    console.log(`each kind alone at 100 requests/s for 10 s (web process ${web ?? "not found"}, peak RSS so far ${webPeakMb} MB):`);
    console.table(alone);
    console.log(
      `load average (1, 5, 15 min) at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(", ")}`,
    );
    const ms = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(1)}`;
    const p99 = quantileDifference(
      runs.map((r) => r.pairs),
      0.99,
      { seed: SEED },
    );
    const cpu = (r: (typeof runs)[number]) => `${r.cpuUsPerRequest.without.toFixed(0)} → ${r.cpuUsPerRequest.within.toFixed(0)} µs`;
    console.log(
      `exposure logging (every answer inside assigns and records an exposure; ${exposures} recorded), 500 req/s alternating every 2 s for ${exposureSeconds} s × 2 runs (${runs.map((r) => r.pairs.length).join(" + ")} pairs of blocks, ${runs.reduce((n, r) => n + r.errors, 0)} errors):`,
    );
    console.log(
      `  p99 outside ${p99.without.toFixed(1)} ms, inside ${p99.within.toFixed(1)} ms: ${ms(p99.difference)} ms (95% CI ${ms(p99.ci[0])} to ${ms(p99.ci[1])}; target ≤ +2 ms)`,
    );
    console.log(`  machine CPU per request outside → inside: ${runs.map(cpu).join(", ")}`);
    console.log(`highest throughput with p99 < 50 ms: ${best ? Math.round(best.rate) : "none"} req/s (target ≥ 1,500)`);
    console.log(
      `events: ${stored} stored in 10 s from ${events.requests.total} batches of 1,000 = ${Math.round(stored / 10)} events/s, p99 ${events.latency.p99} ms per batch, non-2xx ${events.non2xx} (target ≥ 5,000/s)`,
    );
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, node ${process.version}; autocannon runs on the same machine`);
    await simulator.close();
    await database.close();
  } catch (error) {
    console.error(`npm start, last lines:\n${logs.server}\n\nPostgreSQL, last lines:\n${logs.postgres}\n`);
    throw error;
  } finally {
    if (server?.pid) process.kill(-server.pid, "SIGTERM");
    await sleep(3000);
    await redis?.stop();
    await pg.stop();
    if (!values.keep) await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
