import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createDatabase } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrate } from "../db/migrations";
import { freePort } from "../runtime/ports";
import { median } from "../lib/percentiles";
import { cpuSeconds } from "./harness";

// `npm run bench:ingest [-- --runs N] [-- --size N,M]`: the simulator and the pipeline each in a process
// of their own, as in production; each scenario N times (default 3), with the median. `--size` runs,
// instead of (a) and (b), N tracks, N users and N histories of 20 for each size given (to show how
// memory follows the source's size).
interface Scenario {
  label: string;
  name: string;
  simulatorArgs: string[];
}

const SCENARIOS: Scenario[] = [
  { label: "(a)", name: "original size: 1000 tracks, 1000 users, 1000 histories of 5", simulatorArgs: ["--mode", "original"] },
  {
    label: "(b)",
    name: "50,000 tracks, 100,000 users, 100,000 histories of 20",
    simulatorArgs: ["--mode", "realistic", "--tracks", "50000", "--users", "100000", "--histories", "100000", "--items", "20"],
  },
];

/** N of each dataset from the realistic simulator, histories of 20. */
const sized = (n: number, i: number): Scenario => ({
  label: `(s${i + 1})`,
  name: `${n.toLocaleString("en")} tracks, ${n.toLocaleString("en")} users, ${n.toLocaleString("en")} histories of 20`,
  simulatorArgs: ["--mode", "realistic", "--tracks", String(n), "--users", String(n), "--histories", String(n), "--items", "20"],
});

const tsx = (script: string, args: string[], env: Record<string, string>): ChildProcess =>
  spawn(process.execPath, ["--import", "tsx", script, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });

/** The pipeline runs exactly as `npm run job -- ingest` runs it, node flags included. */
function spawnJob(env: Record<string, string>): ChildProcess {
  const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
  const [command, ...args] = scripts.job!.split(/\s+/);
  if (command !== "node") throw new Error(`expected the job script to start with node: ${scripts.job}`);
  return spawn(process.execPath, [...args, "ingest"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = buffer.split("\n").find((line) => pattern.test(line));
      if (match) resolve(match);
    });
    child.once("exit", (code) => reject(new Error(`process exited (${code}) before printing ${pattern}: ${buffer.slice(-500)}`)));
  });
}

/** The kernel's high-water mark of resident memory for `pid`, in bytes; polled until the process ends. */
function watchPeakRss(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (kb) peak = Math.max(peak, Number(kb) * 1024);
    } catch {
      clearInterval(timer);
    }
  }, 50);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

async function runScenario(adminUrl: string, postmasterPid: number | undefined, scenario: Scenario, index: number) {
  const name = `encore_bench_${index}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const lake = await mkdtemp(path.join(os.tmpdir(), "encore-bench-lake-"));
  const port = await freePort();
  const simulator = tsx("server/simulator/cli.ts", ["--port", String(port), "--seed", "1", ...scenario.simulatorArgs], {});
  try {
    await waitForLine(simulator, /MooVitamix simulator/);
    const sourceCpu = cpuSeconds(simulator.pid);
    const databaseCpu = cpuSeconds(postmasterPid, true);
    const wallStart = process.hrtime.bigint();
    const job = spawnJob({ DATABASE_URL: url.toString(), MOOVITAMIX_URL: `http://127.0.0.1:${port}`, DATA_LAKE_DIR: lake });
    const peak = watchPeakRss(job.pid!);
    const code = await new Promise<number | null>((resolve) => job.once("exit", resolve));
    const wallSeconds = Number(process.hrtime.bigint() - wallStart) / 1e9;
    const peakRss = peak();
    await sleep(200); // the job's database sessions end and are reaped
    const cpu = { database: cpuSeconds(postmasterPid, true) - databaseCpu, source: cpuSeconds(simulator.pid) - sourceCpu };
    const database = createDatabase(url.toString(), 1);
    const run = await database.db.pipelineRun.findFirstOrThrow({ include: { tasks: true } });
    await database.close();
    if (code !== 0 || run.status !== "success") throw new Error(`${scenario.name}: the run ended ${run.status}: ${run.error}`);
    const records = run.tasks.filter((t) => t.task !== "reconcile").reduce((sum, t) => sum + t.rowsFetched, 0);
    const runSeconds = (run.finishedAt!.getTime() - run.startedAt!.getTime()) / 1000;
    return {
      scenario: scenario.name,
      records,
      "trigger→success (s)": Number(runSeconds.toFixed(2)),
      "records/s": Math.round(records / runSeconds),
      "process wall (s)": Number(wallSeconds.toFixed(2)),
      "peak RSS (MB)": Math.round(Math.max(peakRss, Number(run.peakRssBytes ?? 0)) / 2 ** 20),
      "CPU s: pipeline/database/source": [(run.cpuMs ?? 0) / 1000, cpu.database, cpu.source].map((v) => (Number.isNaN(v) ? "?" : v.toFixed(1))).join(" / "),
      "tasks (s)": run.tasks.map((t) => `${t.task} ${((t.finishedAt!.getTime() - t.startedAt!.getTime()) / 1000).toFixed(1)}`).join(" · "),
    };
  } finally {
    simulator.kill("SIGTERM");
    await rm(lake, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, size: { type: "string" } } });
  const runs = Number(values.runs);
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`--runs takes a count, not ${values.runs}`);
  const sizes = values.size?.split(",").map(Number) ?? [];
  if (!sizes.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`--size takes counts separated by commas, not ${values.size}`);
  const scenarios = sizes.length > 0 ? sizes.map(sized) : SCENARIOS;
  let adminUrl = process.env.BENCH_DATABASE_URL;
  let stop = async () => {};
  let dir: string | undefined;
  let postmasterPid: number | undefined;
  if (!adminUrl) {
    dir = await mkdtemp(path.join(os.tmpdir(), "encore-bench-pg-"));
    await chmod(dir, 0o755);
    const server = await startEmbeddedPostgres({ dir: path.join(dir, "data"), port: await freePort(), password: "bench", database: "postgres" });
    adminUrl = server.url;
    stop = server.stop;
    postmasterPid = Number(readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  }
  try {
    const results: Record<string, string | number>[] = [];
    for (const [i, scenario] of scenarios.entries()) {
      const rows = [];
      for (let n = 1; n <= runs; n++) {
        console.error(`running ${scenario.name}, ${n} of ${runs}…`);
        rows.push(await runScenario(adminUrl, postmasterPid, scenario, i * 1000 + n));
      }
      results.push(...rows.map((row, n) => ({ ...row, scenario: `${scenario.label} #${n + 1}` })));
      if (runs > 1) {
        results.push({
          scenario: `${scenario.label} median`,
          records: rows[0]!.records,
          "trigger→success (s)": Number(median(rows.map((r) => r["trigger→success (s)"])).toFixed(2)),
          "records/s": Math.round(median(rows.map((r) => r["records/s"]))),
          "peak RSS (MB)": `max ${Math.max(...rows.map((r) => r["peak RSS (MB)"]))}`,
        });
      }
    }
    for (const scenario of scenarios) console.log(`${scenario.label} ${scenario.name}`);
    console.table(results);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
  } finally {
    await stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
