import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDatabase } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { analyzeExperiment } from "../experiments/analysis";
import { refreshDiscoveries } from "../experiments/discoveries";
import { METRIC_KEYS } from "../experiments/metrics";
import { freePort } from "../runtime/ports";
import { databaseCpuSeconds, freshDatabase, peakRss } from "./harness";

// `npm run bench:analyze [-- --users 1000000]`: an experiment with that many exposed listeners, their
// listening before and after exposure and their feedback, generated set-based in PostgreSQL; then
// the analysis (every metric, CUPED, intervals, SRM) is timed with this process's peak memory.

async function main() {
  const { values } = parseArgs({ options: { users: { type: "string", default: "1000000" } } });
  const users = Number(values.users);
  const root = await mkdtemp(path.join(os.tmpdir(), "encore-bench-analyze-"));
  await chmod(root, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(root, "pg"), port: await freePort(), password: "bench-analyze", database: "postgres" });
  try {
    const url = await freshDatabase(pg.url, "bench_analyze");
    const database = createDatabase(url, 4);
    const t0 = Date.parse("2026-06-01T00:00:00Z");
    const postmaster = Number((await readFile(path.join(root, "pg", "postmaster.pid"), "utf8")).split("\n")[0]);
    // Wall seconds, and CPU seconds of PostgreSQL (every backend) and of this process: the machine may be shared.
    const timed = async <T>(what: string, work: () => Promise<T>): Promise<{ result: T; seconds: number; cpu: string }> => {
      const started = { wall: performance.now(), database: databaseCpuSeconds(postmaster), node: process.cpuUsage() };
      const result = await work();
      const seconds = (performance.now() - started.wall) / 1000;
      const node = process.cpuUsage(started.node);
      const cpu = `CPU ${(databaseCpuSeconds(postmaster) - started.database).toFixed(1)} s PostgreSQL + ${((node.user + node.system) / 1e6).toFixed(1)} s Node`;
      process.stderr.write(`${what}: ${seconds.toFixed(1)} s (${cpu})\n`);
      return { result, seconds, cpu };
    };
    const generate = (what: string, sql: string, params: unknown[] = [users, new Date(t0)]) => timed(what, () => database.pool.query(sql, params));
    await generate("tracks", `INSERT INTO tracks SELECT g, 't' || g, 'a', 's', '03:00', 'Rock', 'x', now(), now() FROM generate_series(1, 5000) g`, []);
    await generate("users", `INSERT INTO users SELECT g, 'f', 'l', g || '@x', 'x', 'Rock', now(), now() FROM generate_series(1, $1::int) g`, [users]);
    // Per listener: a day of listening before exposure and two after. How much they listen is theirs
    // (2 to 6 tracks, so the day before predicts the days after: CUPED's covariate), plus noise;
    // the treatment (odd ids) listens one track more on a third of its days.
    const listening = (days: string) =>
      `INSERT INTO listen_history (user_id, items, created_at, updated_at)
       SELECT u, ARRAY(SELECT 1 + ((u * 7 + d * 131 + k * 977) % 5000)
                         FROM generate_series(1, 2 + (u::bigint * 7919) % 5 + ((u * 31 + d * 17) % 3) + CASE WHEN d > 0 AND u % 2 = 1 AND (u * 13 + d) % 3 = 0 THEN 1 ELSE 0 END) k),
              $2::timestamptz + d * interval '1 day' + interval '1 hour', now()
         FROM generate_series(1, $1::int) u, (VALUES ${days}) AS days(d)`;
    await generate("listen_history: the day before exposure and the day after (2 rows per listener)", listening("(-3), (1)"));
    const backfill = await timed("discoveries over that history (once, as after the migration)", () => refreshDiscoveries(database.pool));
    await generate(
      "experiment and exposures",
      `WITH e AS (INSERT INTO experiments (key, name, hypothesis, seed, primary_metric, secondary_metrics, guardrail_metrics, created_by, status, started_at)
                  VALUES ('bench', 'bench', 'bench', 'bench', 'hit_rate', ARRAY['listens_per_day','new_tracks','plays_per_impression','likes_per_impression'], ARRAY['skips_per_impression'], 'bench', 'running', $2::timestamptz) RETURNING id)
       INSERT INTO experiment_exposures SELECT e.id, u, CASE WHEN u % 2 = 0 THEN 'control' ELSE 'treatment' END, $2::timestamptz, $2::timestamptz, 1,
              ARRAY(SELECT 1 + ((u * 13 + k * 389) % 5000) FROM generate_series(1, 10) k)
         FROM e, generate_series(1, $1::int) u`,
    );
    await generate(
      "feedback events (4 per listener)",
      `INSERT INTO feedback_events (id, user_id, track_id, type, at)
       SELECT u || '-' || k, u, 1 + (u % 5000), (ARRAY['impression','impression','play','skip'])[k]::feedback_type, $2::timestamptz + interval '2 days'
         FROM generate_series(1, $1::int) u, generate_series(1, 4) k`,
    );
    // The nightly steady state: one more day of listening ingested, followed by the discoveries task.
    await generate("listen_history: one more day (1 row per listener)", listening("(4)"));
    const nightly = await timed("discoveries following that day", () => refreshDiscoveries(database.pool));
    await database.pool.query("ANALYZE");
    const experiment = await database.db.experiment.findUniqueOrThrow({ where: { key: "bench" }, include: { variants: true } });
    const variants = [
      { experimentId: experiment.id, key: "control", position: 0, versionId: 0, weight: 0.5 },
      { experimentId: experiment.id, key: "treatment", position: 1, versionId: 0, weight: 0.5 },
    ];
    const {
      result: results,
      seconds,
      cpu: analysisCpu,
    } = await timed("analysis", () => analyzeExperiment(database, { ...experiment, variants }, { deadlineUtc: "06:00", now: new Date(t0 + 5 * 86_400_000) }));
    const treatment = results.variants[1]!;
    console.log(
      `\n${users.toLocaleString("en")} exposed listeners (${results.variants.map((v) => `${v.key} ${v.users}`).join(", ")}), ${METRIC_KEYS.length} metrics with CUPED, delta method, sequential intervals, Holm and SRM`,
    );
    console.log(
      `analysis: ${seconds.toFixed(1)} s (${analysisCpu}); this process's peak RSS ${Math.round(peakRss(process.pid) / 2 ** 20)} MB (the aggregation runs in PostgreSQL)`,
    );
    const firstListens = (r: { rows: number; firstListens: number }) =>
      `${r.rows.toLocaleString("en")} history rows, ${r.firstListens.toLocaleString("en")} first listens`;
    console.log(
      `discoveries (the analyze pipeline's first task): once over the history ${backfill.seconds.toFixed(1)} s (${backfill.cpu}; ${firstListens(backfill.result)}); following one more day ${nightly.seconds.toFixed(1)} s (${nightly.cpu}; ${firstListens(nightly.result)})`,
    );
    console.log(
      `listens_per_day: control ${results.variants[0]!.metrics.listens_per_day!.mean.toFixed(3)}, treatment ${treatment.metrics.listens_per_day!.mean.toFixed(3)}; uplift ${(treatment.metrics.listens_per_day!.uplift!.relative * 100).toFixed(2)}%, CUPED variance reduction ${((treatment.metrics.listens_per_day!.varianceReduction ?? 0) * 100).toFixed(0)}%`,
    );
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
    await database.close();
  } finally {
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
