import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import type { Database } from "../db/client";
import { migrate } from "../db/migrations";
import { DEFAULT_INGESTION, ingestionPipeline } from "../ingestion/pipeline";
import { startRun } from "../pipeline/runner";
import type { Simulator } from "../simulator/server";
import { openStore } from "../storage/open";

// What the benchmarks share: a fresh database, an ingestion, and jobs run as `npm run job` runs them.

/** Drops and creates `name` next to `adminUrl`'s database, migrated; its URL. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return url.toString();
}

export async function ingest(database: Database, simulator: Simulator, lakeDir: string): Promise<void> {
  const started = await startRun(database, ingestionPipeline({ ...DEFAULT_INGESTION, sourceUrl: simulator.url, store: openStore(lakeDir) }), {
    trigger: "cli",
  });
  const run = started.deduped ? null : await started.finished;
  if (run?.status !== "success") throw new Error(`ingestion failed: ${run?.error}`);
}

/** The peak resident memory of a running process so far (VmHWM), 0 once it has ended. */
export function peakRss(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds a process has used; with `reaped`, also its ended children's (PostgreSQL's backends). */
export function cpuSeconds(pid: number | undefined, reaped = false): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0);
  return ticks / 100;
}

/** CPU seconds a PostgreSQL server has used: the postmaster, its live backends and those that ended. */
export function databaseCpuSeconds(postmasterPid: number): number {
  let seconds = cpuSeconds(postmasterPid, true);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(fields[1]) === postmasterPid) seconds += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // ended while listed: its time is in the postmaster's reaped children now
    }
  }
  return seconds;
}

/** CPU seconds the whole machine has spent busy since boot (/proc/stat, in USER_HZ = 100 ticks a second). */
export function machineBusySeconds(): number {
  const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  return (ticks.reduce((sum, t) => sum + t, 0) - idle) / 100;
}

/**
 * `npm run job -- <job>` exactly as the package script runs it, node flags included (and `extraNodeFlags`, such as
 * --cpu-prof); wall time, CPU seconds and peak RSS.
 */
export function runJob(
  job: string,
  env: Record<string, string>,
  extraNodeFlags: string[] = [],
): Promise<{ code: number; seconds: number; cpuSeconds: number; peakRssBytes: number; output: string }> {
  const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
  const [, ...args] = scripts.job!.split(/\s+/);
  const started = performance.now();
  const child = spawn(process.execPath, [...extraNodeFlags, ...args, job], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  let peak = 0;
  // Sampled while it runs (a process that ended has no /proc entry): its worker threads included, up to the last 50 ms.
  let cpu = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, peakRss(child.pid!));
    try {
      cpu = cpuSeconds(child.pid);
    } catch {
      // ended between two samples: the last one stands
    }
  }, 50);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearInterval(timer);
      resolve({ code: code ?? 1, seconds: (performance.now() - started) / 1000, cpuSeconds: cpu, peakRssBytes: peak, output });
    }),
  );
}

/** The running processes below `pid` (children, their children…) whose command line contains `needle`. */
export function descendantsRunning(pid: number, needle: string): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parent.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1]));
    } catch {
      // ended while listed
    }
  }
  const below = (p: number): boolean => {
    for (let up = parent.get(p); up !== undefined && up > 1; up = parent.get(up)) if (up === pid) return true;
    return false;
  };
  return [...parent.keys()].filter((p) => {
    if (!below(p)) return false;
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(needle);
    } catch {
      return false;
    }
  });
}
