import { readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDatabase } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { freePort } from "../runtime/ports";
import { catalogueOptions } from "../simulator/options";
import { startSimulator } from "../simulator/server";
import { cpuSeconds, freshDatabase, runJob } from "./harness";

// `npm run bench:scale [-- --scale 10 --steps ingest,train --cpu-prof DIR]`: bench:train's shape (c)
// (20,000 listeners, 50,000 tracks, 100,000 histories of 20) times `scale`, from the built-in
// simulator, ingested and trained by `npm run job` processes as in production; prints each figure
// beside its target. `--steps ingest` runs only the ingestion; `--cpu-prof DIR` writes each job's
// V8 CPU profile there (node's --cpu-prof, which NODE_OPTIONS refuses).

const SEED = 42;
const C = { users: 20_000, tracks: 50_000, histories: 100_000, itemsPerHistory: 20 };
const MB = 2 ** 20;

/** This process's CPU seconds: the simulator serving the pages runs in it. */
const sourceCpuSeconds = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};

const step = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main() {
  const { values } = parseArgs({
    options: { scale: { type: "string", default: "10" }, steps: { type: "string", default: "ingest,train" }, "cpu-prof": { type: "string" } },
  });
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 100)) throw new Error(`--scale takes a factor from 0 to 100, not ${values.scale}`);
  const steps = new Set(values.steps.split(","));
  const sizes = { users: C.users * scale, tracks: C.tracks * scale, histories: C.histories * scale, itemsPerHistory: C.itemsPerHistory };
  const root = await mkdtemp(path.join(os.tmpdir(), "encore-bench-scale-"));
  await chmod(root, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(root, "pg"), port: await freePort(), password: "bench-scale", database: "postgres" });
  const rows: { figure: string; value: string; target: string }[] = [];
  try {
    const url = await freshDatabase(pg.url, "bench_scale");
    const database = createDatabase(url, 2);
    const postmaster = Number(readFileSync(path.join(root, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
    const profileFlags = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values["cpu-prof"])}`] : [];
    step(`generating ${sizes.users} listeners, ${sizes.tracks} tracks, ${sizes.histories} histories of ${sizes.itemsPerHistory}…`);
    const simulator = await startSimulator({ ...catalogueOptions("realistic", SEED, sizes) });
    const env = {
      DATABASE_URL: url,
      DATA_LAKE_DIR: path.join(root, "lake"),
      DATA_DIR: path.join(root, "data"),
      MOOVITAMIX_URL: simulator.url,
      TRAIN_SEED: String(SEED),
    };
    try {
      if (steps.has("ingest")) {
        step("ingesting (npm run job -- ingest)…");
        const cpuAtStart = { database: cpuSeconds(postmaster, true), source: sourceCpuSeconds() };
        const loadAtStart = os.loadavg()[0]!;
        const job = await runJob("ingest", env, profileFlags);
        if (job.code !== 0) throw new Error(`the ingest job failed:\n${job.output.slice(-2000)}`);
        const run = await database.db.pipelineRun.findFirstOrThrow({ where: { pipeline: "ingest" }, orderBy: { id: "desc" }, include: { tasks: true } });
        const seconds = (run.finishedAt!.getTime() - run.startedAt!.getTime()) / 1000;
        const records = sizes.users + sizes.tracks + sizes.histories;
        const cpu = { job: job.cpuSeconds, database: cpuSeconds(postmaster, true) - cpuAtStart.database, source: sourceCpuSeconds() - cpuAtStart.source };
        const perMillion = (s: number) => (s / (records / 1e6)).toFixed(1);
        const tasks = run.tasks.map((t) => `${t.task} ${((t.finishedAt!.getTime() - t.startedAt!.getTime()) / 1000).toFixed(1)}`).join(" · ");
        rows.push(
          { figure: "ingestion, records/s", value: `${Math.round(records / seconds)} (${records} records in ${seconds.toFixed(1)} s)`, target: "≥ 50,000" },
          { figure: "ingest job, peak RSS", value: `${Math.round(job.peakRssBytes / MB)} MB`, target: "≤ 300 MB, flat in the source's size" },
          {
            figure: "ingestion, CPU s per M records: job / database / source",
            value: `${perMillion(cpu.job)} / ${perMillion(cpu.database)} / ${perMillion(cpu.source)} (${cpu.job.toFixed(1)} / ${cpu.database.toFixed(1)} / ${cpu.source.toFixed(1)} s)`,
            target: "",
          },
          { figure: "ingest tasks, s", value: tasks, target: "" },
          { figure: "load average, 1 min, at start / end", value: `${loadAtStart.toFixed(1)} / ${os.loadavg()[0]!.toFixed(1)}`, target: "" },
        );
      }
      if (steps.has("train")) {
        step("training (npm run job -- train)…");
        const job = await runJob("train", env, profileFlags);
        if (job.code !== 0) throw new Error(`the train job failed:\n${job.output.slice(-2000)}`);
        const run = await database.db.pipelineRun.findFirstOrThrow({ where: { pipeline: "train" }, orderBy: { id: "desc" }, include: { tasks: true } });
        const snapshot = await database.db.trainSnapshot.findFirstOrThrow({ orderBy: { id: "desc" } });
        const seconds = (run.finishedAt!.getTime() - run.startedAt!.getTime()) / 1000;
        const tasks = run.tasks.map((t) => `${t.task} ${((t.finishedAt!.getTime() - t.startedAt!.getTime()) / 1000).toFixed(0)}`).join(" · ");
        rows.push(
          {
            figure: "snapshot",
            value: `${snapshot.users} listeners, ${snapshot.tracks} tracks, ${snapshot.listens} listens (${snapshot.listensLeftOut} left out)`,
            target: "",
          },
          { figure: "train run, wall", value: `${seconds.toFixed(0)} s (tasks, s: ${tasks})`, target: "≤ 15 min" },
          { figure: "train job, peak RSS", value: `${Math.round(job.peakRssBytes / MB)} MB`, target: "≤ 6 GB" },
        );
      }
    } finally {
      await simulator.close();
      await database.close();
    }
    console.log(`\nbench:scale at ${scale} × (c): ${sizes.users} listeners × ${sizes.tracks} tracks × ${sizes.histories * sizes.itemsPerHistory} listens`);
    console.table(rows);
    console.log(
      `serving at this scale: npm run bench:serve -- --scale ${scale}; analysis at 1 M exposed listeners: npm run bench:analyze -- --users 1000000\n` +
        `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    );
  } finally {
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
