import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDatabase, type Database } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { freePort } from "../runtime/ports";
import { freshDatabase, ingest, runJob } from "./harness";
import { versionEvaluation, versionNdcg10, type Evaluation } from "../recommender/evaluate";
import { DEFAULT_TRAIN } from "../recommender/pipeline";
import { unpaced } from "../recommender/pacer";
import { TrainSession } from "../recommender/session";
import { loadSnapshot } from "../recommender/snapshot";
import type { CatalogueOptions } from "../simulator/catalogue";
import { catalogueOptions } from "../simulator/options";
import { startSimulator, type Simulator } from "../simulator/server";
import { openStore } from "../storage/open";

// `npm run bench:train [-- --only a,b,c]`: ingests a simulated catalogue into a fresh embedded database,
// then times `npm run job -- train` in a process of its own and prints each family's quality, time and memory.
interface Scenario {
  label: string;
  name: string;
  sizes: Partial<CatalogueOptions>;
  /** the simulator knows each listener's taste: rank by it too */
  oracle?: boolean;
  target: string;
}

const SCENARIOS: Scenario[] = [
  { label: "a", name: "realistic simulator, default size and seed", sizes: {}, oracle: true, target: "best NDCG@10 ≥ 2 × popularity" },
  {
    label: "b",
    name: "2,000 users, 17,000 tracks, ~90,000 listens, long-tailed",
    sizes: { users: 2000, tracks: 17000, histories: 4600, itemsPerHistory: 20 },
    target: "train run ≤ 15 s, ≤ 1.5 GB",
  },
  {
    label: "c",
    name: "20,000 users, 50,000 tracks, 2 million listens",
    sizes: { users: 20000, tracks: 50000, histories: 100000, itemsPerHistory: 20 },
    target: "train run ≤ 120 s, ≤ 1.5 GB",
  },
];

const SEED = 42;

/** The oracle's metrics on the train run's own test split: held-out tracks ranked by the simulator's true chances. */
async function oracle(database: Database, simulator: Simulator, lakeDir: string): Promise<Evaluation> {
  const row = await database.db.trainSnapshot.findFirstOrThrow({ orderBy: { id: "desc" } });
  const { snapshot } = await loadSnapshot(database, openStore(lakeDir), row.id);
  const session = new TrainSession(row, snapshot, SEED, unpaced());
  const index = new Map<number, number>();
  snapshot.trackIds.forEach((id, i) => index.set(id, i));
  return session.evaluateScorer(
    (user, out) => {
      out.fill(0);
      for (const [track, chance] of simulator.catalogue.listenChances(snapshot.userIds[user]!)) {
        const i = index.get(track);
        if (i !== undefined) out[i] = chance;
      }
    },
    "test",
    DEFAULT_TRAIN.evalUsers,
  );
}

async function runScenario(scenario: Scenario, adminUrl: string, root: string) {
  const url = await freshDatabase(adminUrl, `bench_train_${scenario.label}`);
  const database = createDatabase(url);
  const lakeDir = path.join(root, scenario.label);
  const simulator = await startSimulator({ ...catalogueOptions("realistic", SEED, scenario.sizes) });
  try {
    process.stderr.write(`(${scenario.label}) ingesting ${scenario.name}…\n`);
    await ingest(database, simulator, lakeDir);
    process.stderr.write(`(${scenario.label}) training…\n`);
    // The machine's 1-minute load average as training starts: on a shared machine, what the wall times mean.
    const load = os.loadavg()[0]!.toFixed(1);
    const job = await runJob("train", { DATABASE_URL: url, DATA_LAKE_DIR: lakeDir, DATA_DIR: path.join(root, "data"), TRAIN_SEED: String(SEED) });
    if (job.code !== 0) throw new Error(`the train job failed:\n${job.output.slice(-2000)}`);
    const run = await database.db.pipelineRun.findFirstOrThrow({ where: { pipeline: "train" }, orderBy: { id: "desc" }, include: { tasks: true } });
    const snapshot = await database.db.trainSnapshot.findFirstOrThrow({ orderBy: { id: "desc" } });
    const versions = await database.db.modelVersion.findMany({ where: { runId: run.id }, orderBy: { id: "asc" } });
    const champion = await database.db.modelAlias.findUnique({ where: { alias: "champion" } });
    const popularityVersion = versions.find((v) => v.family === "popularity");
    const popularity = popularityVersion ? versionNdcg10(popularityVersion) : 0;
    const rows = versions.map((v) => {
      const m = versionEvaluation(v);
      const t = v.training as { seconds: number; peakRssBytes: number };
      return {
        family: v.family + (champion?.versionId === v.id ? " (champion)" : ""),
        "NDCG@10": Number(m.overall["ndcg@10"].toFixed(4)),
        "recall@20": Number(m.overall["recall@20"].toFixed(4)),
        "× popularity": popularity ? Number((m.overall["ndcg@10"] / popularity).toFixed(2)) : null,
        coverage: Number(m.coverage.toFixed(3)),
        "task s": Number(t.seconds.toFixed(1)),
        "process peak RSS MB": Math.round(t.peakRssBytes / 2 ** 20),
      };
    });
    const tasks = run.tasks
      .map((t) => `${t.task} ${t.startedAt && t.finishedAt ? ((t.finishedAt.getTime() - t.startedAt.getTime()) / 1000).toFixed(1) : "?"}`)
      .join(" · ");
    console.log(
      `\n(${scenario.label}) ${scenario.name}: ${snapshot.users} users, ${snapshot.tracks} tracks, ${snapshot.listens} listens, ${snapshot.pairs} user–track pairs`,
    );
    console.table(rows);
    const runSeconds = run.startedAt && run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : Number.NaN;
    console.log(
      `train run ${runSeconds.toFixed(1)} s (job process ${job.seconds.toFixed(1)} s, ${job.cpuSeconds.toFixed(1)} CPU s, peak RSS ${Math.round(job.peakRssBytes / 2 ** 20)} MB; load average ${load}); target: ${scenario.target}`,
    );
    console.log(`tasks (s): ${tasks}`);
    if (scenario.oracle) {
      const best = Math.max(...versions.map(versionNdcg10));
      const o = await oracle(database, simulator, lakeDir);
      console.log(
        `oracle (the simulator's true tastes): NDCG@10 ${o.overall["ndcg@10"].toFixed(4)}, recall@20 ${o.overall["recall@20"].toFixed(4)}; best model ÷ oracle = ${(best / o.overall["ndcg@10"]).toFixed(2)}; best ÷ popularity = ${(best / popularity).toFixed(2)}`,
      );
    }
  } finally {
    await simulator.close();
    await database.close();
  }
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: "string" } } });
  const only = values.only?.split(",");
  const root = await mkdtemp(path.join(os.tmpdir(), "encore-bench-train-"));
  await chmod(root, 0o755);
  const server = await startEmbeddedPostgres({ dir: path.join(root, "pg"), port: await freePort(), password: "bench-train", database: "postgres" });
  try {
    for (const scenario of SCENARIOS) if (!only || only.includes(scenario.label)) await runScenario(scenario, server.url, root);
    console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
