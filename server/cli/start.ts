import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { ConfigError, parseEnv, type Env } from "../env";
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
    await new Promise((r) => setTimeout(r, 250));
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
  const next = run(["start", "--port", String(env.PORT)], {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: runtime.url,
    NEXTAUTH_SECRET: runtime.nextauthSecret,
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`,
    ...(runtime.cronSecret ? { CRON_SECRET: runtime.cronSecret } : {}),
  });

  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping…`);
    if (next.exitCode === null) {
      next.kill("SIGTERM");
      const killer = setTimeout(() => next.kill("SIGKILL"), 10_000);
      await exitCode(next);
      clearTimeout(killer);
    }
    await runtime.stop();
    log("Stopped.");
    process.exit(code);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  next.once("exit", (code) => void shutdown(`Next.js exited (code ${code})`, code ?? 1));

  await waitUntilServing(env.PORT, next);
  announce(env, runtime);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[encore] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
