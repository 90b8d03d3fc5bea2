import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { startScheduler, type Scheduler } from "../../cron/scheduler";
import { createDatabase, type Database } from "../db/client";
import { ConfigError, parseEnv, type Env } from "../env";
import { startBuiltInSimulator } from "../simulator/built-in";
import type { Simulator } from "../simulator/server";
import { portIsFree } from "../net";
import { prepareRuntime, type Runtime } from "../runtime";
import { buildIsStale, recordBuild } from "./build-stamp";

const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");
const log = (line: string) => console.log(`[encore] ${line}`);

function run(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [nextBin, ...args], { stdio: "inherit", env });
}

function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function waitUntilServing(port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Next.js exited with code ${child.exitCode} while starting.`);
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`Next.js did not answer on port ${port} within ${timeoutMs / 1000} s.`);
}

function announce(env: Env, runtime: Runtime) {
  const url = `http://localhost:${env.PORT}`;
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
  if (!(await portIsFree(env.PORT))) {
    throw new Error(`Port ${env.PORT} is already in use; stop what holds it or set PORT to another port.`);
  }
  if (await buildIsStale()) {
    log("Building the console (first start or sources changed)…");
    const code = await exitCode(run(["build"], { ...process.env, NODE_ENV: "production" }));
    if (code !== 0) throw new Error(`next build failed with code ${code}.`);
    await recordBuild();
  }
  const runtime = await prepareRuntime(env, log);
  let simulator: Simulator | undefined;
  if (!env.MOOVITAMIX_URL) {
    simulator = await startBuiltInSimulator(env);
    log(`MOOVITAMIX_URL is unset: serving the built-in MooVitamix simulator (${env.SIMULATOR_MODE}, seed ${env.SIMULATOR_SEED}) at ${simulator.url}`);
  }
  const sourceUrl = env.MOOVITAMIX_URL ?? simulator!.url;
  const publicUrl = env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`;
  const next = run(["start", "--port", String(env.PORT)], {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: runtime.url,
    MOOVITAMIX_URL: sourceUrl,
    NEXTAUTH_SECRET: runtime.nextauthSecret,
    NEXTAUTH_URL: publicUrl,
    ...(runtime.cronSecret ? { CRON_SECRET: runtime.cronSecret } : {}),
  });

  let scheduler: Scheduler | undefined;
  let jobsDatabase: Database | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping…`);
    scheduler?.stop();
    if (next.exitCode === null) {
      next.kill("SIGTERM");
      const killer = setTimeout(() => next.kill("SIGKILL"), 10_000);
      await exitCode(next);
      clearTimeout(killer);
    }
    await jobsDatabase?.close().catch(() => undefined);
    await simulator?.close();
    await runtime.stop();
    log("Stopped.");
    process.exit(code);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  next.once("exit", (code) => void shutdown(`Next.js exited (code ${code})`, code ?? 1));

  await waitUntilServing(env.PORT, next);
  announce(env, runtime);
  if (env.SCHEDULER === "on") {
    // Scheduled jobs run in this process, beside the web server; the advisory lock keeps one run at a time.
    jobsDatabase = createDatabase(runtime.url, 12);
    scheduler = await startScheduler({ database: jobsDatabase, env: { ...env, MOOVITAMIX_URL: sourceUrl, NEXTAUTH_URL: publicUrl } }, (line) => log(`scheduler: ${line}`));
  } else {
    log("Scheduler off (SCHEDULER=off): jobs run only when triggered.");
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[encore] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
