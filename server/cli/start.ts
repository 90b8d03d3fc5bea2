import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { jobOfPipeline, JOBS } from "../jobs/registry";
import { startScheduler, type Scheduler } from "../jobs/scheduler";
import { createDatabase, type Database } from "../db/client";
import { ConfigError, parseEnv, type Env } from "../config/env";
import { startBuiltInSimulator, wireToEncore } from "../simulator/built-in";
import type { Simulator } from "../simulator/server";
import { portIsFree } from "../runtime/ports";
import { endRunsOfStoppedProcesses, stopLocalRuns } from "../pipeline/runner";
import { alertPolicy, evaluateAlerts } from "../pipeline/alerts";
import { startRunSweeper } from "../pipeline/sweeper";
import { prepareRuntime, type Runtime } from "../runtime/database";
import { buildIsStale, recordBuild } from "./build-stamp";
import { onStopRequest } from "./stop-signals";

const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");
const serveScript = fileURLToPath(new URL("./serve.ts", import.meta.url));
const workerScript = fileURLToPath(new URL("../../cron/worker.ts", import.meta.url));
const log = (line: string) => console.log(`[encore] ${line}`);

/**
 * `next build`, quietly: its route table and experimental-flag list only confuse someone starting
 * Encore, so its output is kept and printed only when the build fails.
 */
function build(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [nextBin, "build"], { stdio: ["ignore", "pipe", "pipe"], env });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString("utf8"));
    // Only the end of a long failing build matters.
    if (output.length > 400) output.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.once("exit", (code) => {
    if (code !== 0) process.stderr.write(output.join(""));
  });
  return child;
}

/** The console's server (serve.ts), in a process of its own whose heap is capped (its cluster's processes inherit the flag). */
function serve(env: NodeJS.ProcessEnv, heapMb: number): ChildProcess {
  return spawn(process.execPath, [`--max-old-space-size=${heapMb}`, "--import", "tsx", serveScript], { stdio: "inherit", env });
}

/** WORKERS=M: `npm run worker` processes beside the web server, on the same database and source. */
function startWorkers(count: number, env: NodeJS.ProcessEnv, stopping: () => boolean): ChildProcess[] {
  return Array.from({ length: count }, (_, i) => {
    const worker = spawn(process.execPath, ["--import", "tsx", workerScript], { stdio: "inherit", env });
    worker.once(
      "exit",
      (code, signal) => stopping() || log(`worker ${i + 1} (pid ${worker.pid}) exited (${signal ?? code}); the other workers retake its runs`),
    );
    return worker;
  });
}

function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function waitUntilServing(host: string, port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = new URL("http://127.0.0.1/api/health");
  url.hostname = host;
  url.port = String(port);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Next.js exited with code ${child.exitCode} while starting.`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`Next.js did not answer on port ${port} within ${timeoutMs / 1000} s.`);
}

function announce(env: Env, runtime: Runtime) {
  const url = `http://${env.HOSTNAME ?? "localhost"}:${env.PORT}`;
  log(`Encore is ready at ${url}`);
  log(`Database: ${runtime.embedded ? `embedded PostgreSQL, data in ${env.DATA_DIR}/pg` : "DATABASE_URL"}`);
  if (runtime.migrations.applied.length) log(`Applied migrations: ${runtime.migrations.applied.join(", ")}`);
  const admin = runtime.firstAdmin;
  if (admin.status === "created" && admin.generatedPassword) {
    // Shown once: only its hash is stored, and it is never printed again.
    log(`First admin created. Sign in as ${admin.email} with password: ${admin.generatedPassword}`);
    log("Write it down now; it will not be shown again. Set ADMIN_EMAIL/ADMIN_PASSWORD to choose your own.");
  } else if (admin.status === "created") {
    log(`First admin created: sign in as ${admin.email} with ADMIN_PASSWORD.`);
  } else {
    log("Sign in with your Encore account.");
  }
  if (runtime.embedded && !env.CRON_SECRET) log(`Cron routes take the CRON_SECRET kept in ${env.DATA_DIR}/secrets.json.`);
}

async function main() {
  const env = parseEnv({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? "production" });
  if (!(await portIsFree(env.PORT, env.HOSTNAME))) {
    throw new Error(`Port ${env.PORT} is already in use; stop what holds it or set PORT to another port.`);
  }
  if (await buildIsStale()) {
    log("Building the console (first start or sources changed)…");
    const started = Date.now();
    const code = await exitCode(build({ ...process.env, NODE_ENV: "production" }));
    if (code !== 0) throw new Error(`next build failed with code ${code}.`);
    await recordBuild();
    log(`Built in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  }
  const runtime = await prepareRuntime(env, log);
  let simulator: Simulator | undefined;
  if (!env.MOOVITAMIX_URL) {
    simulator = await startBuiltInSimulator(env);
    log(`MOOVITAMIX_URL is unset: serving the built-in MooVitamix simulator (${env.SIMULATOR_MODE}, seed ${env.SIMULATOR_SEED}) at ${simulator.url}`);
  }
  const sourceUrl = env.MOOVITAMIX_URL ?? simulator!.url;
  const publicUrl = env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`;
  // Several web processes run no job (a run would die with whichever process took the trigger): at least one worker takes them.
  const oneWorkerByDefault = env.WEB_PROCESSES > 1 && !process.env.WORKERS;
  const workerCount = oneWorkerByDefault ? 1 : env.WORKERS;
  // With workers, every run goes through the queue to them, whoever triggers it.
  const jobQueue = workerCount > 0 || env.WEB_PROCESSES > 1 ? "on" : env.JOB_QUEUE;
  // What the web server and the workers share: the database, the source and the session secret this start settled on.
  const runtimeEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: runtime.url,
    MOOVITAMIX_URL: sourceUrl,
    NEXTAUTH_SECRET: runtime.nextauthSecret,
    NEXTAUTH_URL: publicUrl,
  };
  const next = serve({ ...runtimeEnv, ...(runtime.cronSecret ? { CRON_SECRET: runtime.cronSecret } : {}), JOB_QUEUE: jobQueue }, env.WEB_HEAP_MB);

  let scheduler: Scheduler | undefined;
  let sweeper: { stop(): void } | undefined;
  let jobsDatabase: Database | undefined;
  let workers: ChildProcess[] = [];
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping…`);
    // Supervisors allow about 10 s: whatever still runs then is killed.
    setTimeout(() => process.exit(code || 1), 9500).unref();
    scheduler?.stop();
    sweeper?.stop();
    const serverExited = next.exitCode === null ? exitCode(next) : Promise.resolve(0);
    if (next.exitCode === null) next.kill("SIGTERM");
    const killer = setTimeout(() => next.kill("SIGKILL"), 6000);
    const workersExited = Promise.all(
      workers
        .filter((w) => w.exitCode === null)
        .map((w) => {
          w.kill("SIGTERM");
          return exitCode(w);
        }),
    );
    const stopped = await stopLocalRuns(`stopped: Encore received ${reason}`);
    if (stopped.length) log(`stopped run(s) ${stopped.join(", ")}`);
    await serverExited;
    await workersExited;
    clearTimeout(killer);
    // Runs the web server was executing (triggered from the console or a cron route) are recorded as ended too.
    const ledger = jobsDatabase ?? createDatabase(runtime.url, 2);
    const orphaned = await endRunsOfStoppedProcesses(
      ledger,
      Object.values(JOBS).map((j) => j.pipeline),
      `stopped: Encore received ${reason}`,
    ).catch(() => []);
    if (orphaned.length) log(`recorded run(s) ${orphaned.join(", ")} of the web server as stopped`);
    await ledger.close().catch(() => undefined);
    await simulator?.close();
    await runtime.stop();
    log("Stopped.");
    process.exit(code);
  };
  onStopRequest((reason) => void shutdown(reason, 0));
  next.once("exit", (code) => void shutdown(`Next.js exited (code ${code})`, code ?? 1));

  await waitUntilServing(env.HOSTNAME ?? "127.0.0.1", env.PORT, next);
  if (simulator) {
    const keys = createDatabase(runtime.url, 1);
    await wireToEncore(simulator, keys.db, `http://${env.HOSTNAME ?? "127.0.0.1"}:${env.PORT}`).finally(() => keys.close());
    log("The simulator's listeners ask this console for recommendations when a simulated day passes.");
  }
  announce(env, runtime);
  if (env.WEB_PROCESSES > 1) {
    log(
      `Serving from ${env.WEB_PROCESSES} web processes on port ${env.PORT}; they run no job${oneWorkerByDefault ? " (WORKERS unset: one worker runs them)" : ""}.`,
    );
  }
  jobsDatabase = createDatabase(runtime.url, 12);
  const ledger = jobsDatabase;
  if (jobQueue === "on") {
    // Workers sweep dead runs themselves, and queue them again.
    workers = startWorkers(workerCount, { ...runtimeEnv, JOB_QUEUE: "on", SCHEDULER: "off" }, () => stopping);
    log(
      `Runs go through the queue (JOB_QUEUE=on)${workers.length ? ` to ${workers.length} worker process(es)` : ": start npm run worker where they should run"}.`,
    );
  } else {
    // A run whose process died is recorded failed within a minute, and alerted, even with the scheduler off.
    sweeper = startRunSweeper(ledger, async (pipeline, ids) => {
      log(`run(s) ${ids.join(", ")} of ${pipeline} had stopped without a word: recorded as failed`);
      await evaluateAlerts(ledger, pipeline, alertPolicy(env), new Date(), jobOfPipeline(pipeline)?.conditions?.(env));
    });
  }
  if (env.SCHEDULER === "on") {
    // Scheduled jobs start from this process, beside the web server (run here, or queued); the advisory lock keeps one run at a time.
    scheduler = await startScheduler(
      { database: jobsDatabase, env: { ...env, JOB_QUEUE: jobQueue, MOOVITAMIX_URL: sourceUrl, NEXTAUTH_URL: publicUrl } },
      (line) => log(`scheduler: ${line}`),
    );
  } else {
    log("Scheduler off (SCHEDULER=off): jobs run only when triggered.");
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[encore] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
