import { Gauge, Registry } from "prom-client";
import type { Database } from "../db/client";
import { SCHEDULER_NAME } from "../../cron/scheduler";

const LEVEL_VALUE = { ok: 0, warn: 1, error: 2 } as const;

/**
 * Prometheus metrics, read from the run ledger at scrape time: runs happen in any process (web,
 * scheduler, CLI), so counters kept in one process's memory would miss most of them.
 */
export function metricsRegistry(database: Database): Registry {
  const registry = new Registry();
  const { pool } = database;

  new Gauge({
    name: "encore_pipeline_runs",
    help: "Runs recorded in the ledger, by pipeline and status.",
    labelNames: ["pipeline", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ pipeline: string; status: string; n: number }>(`SELECT pipeline, status, count(*)::int AS n FROM pipeline_runs GROUP BY 1, 2`);
      for (const r of rows) this.set({ pipeline: r.pipeline, status: r.status }, r.n);
    },
  });

  new Gauge({
    name: "encore_pipeline_last_run_duration_seconds",
    help: "Duration of the latest ended run, by pipeline and its status.",
    labelNames: ["pipeline", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ pipeline: string; status: string; seconds: number }>(`
        SELECT DISTINCT ON (pipeline) pipeline, status, extract(epoch FROM finished_at - started_at)::float AS seconds
          FROM pipeline_runs WHERE finished_at IS NOT NULL AND started_at IS NOT NULL ORDER BY pipeline, id DESC`);
      for (const r of rows) this.set({ pipeline: r.pipeline, status: r.status }, r.seconds);
    },
  });

  new Gauge({
    name: "encore_pipeline_run_duration_p95_seconds",
    help: "95th percentile of the duration of the last 20 successful runs, by pipeline.",
    labelNames: ["pipeline"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ pipeline: string; p95: number }>(`
        SELECT pipeline, percentile_cont(0.95) WITHIN GROUP (ORDER BY d) AS p95 FROM (
          SELECT pipeline, extract(epoch FROM finished_at - started_at) AS d,
                 row_number() OVER (PARTITION BY pipeline ORDER BY id DESC) AS n
            FROM pipeline_runs WHERE status = 'success') s WHERE n <= 20 GROUP BY pipeline`);
      for (const r of rows) this.set({ pipeline: r.pipeline }, r.p95);
    },
  });

  new Gauge({
    name: "encore_pipeline_last_success_timestamp_seconds",
    help: "When the latest successful run of each pipeline finished (Unix time).",
    labelNames: ["pipeline"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ pipeline: string; at: number }>(`SELECT pipeline, extract(epoch FROM max(finished_at))::float AS at FROM pipeline_runs WHERE status = 'success' GROUP BY 1`);
      for (const r of rows) this.set({ pipeline: r.pipeline }, r.at);
    },
  });

  new Gauge({
    name: "encore_task_failures",
    help: "Failed task tries in the ledger, by pipeline and task.",
    labelNames: ["pipeline", "task"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ pipeline: string; task: string; n: number }>(`
        SELECT r.pipeline, t.task, count(*)::int AS n FROM task_runs t JOIN pipeline_runs r ON r.id = t.run_id WHERE t.status = 'failed' GROUP BY 1, 2`);
      for (const r of rows) this.set({ pipeline: r.pipeline, task: r.task }, r.n);
    },
  });

  new Gauge({
    name: "encore_rows",
    help: "Rows handled by all task tries, by dataset and action (fetched, inserted, updated, unchanged, rejected).",
    labelNames: ["dataset", "action"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ task: string; fetched: number; inserted: number; updated: number; unchanged: number; rejected: number }>(`
        SELECT task, sum(rows_fetched)::float AS fetched, sum(rows_inserted)::float AS inserted, sum(rows_updated)::float AS updated,
               sum(rows_unchanged)::float AS unchanged, sum(rows_rejected)::float AS rejected
          FROM task_runs WHERE task IN ('tracks', 'users', 'listen_history') GROUP BY task`);
      for (const r of rows) for (const action of ["fetched", "inserted", "updated", "unchanged", "rejected"] as const) this.set({ dataset: r.task, action }, r[action]);
    },
  });

  new Gauge({
    name: "encore_quarantine_records",
    help: "Records in quarantine not loaded since, by dataset and reason.",
    labelNames: ["dataset", "reason"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ dataset: string; reason: string; n: number }>(`SELECT dataset, reason_code AS reason, count(*)::int AS n FROM quarantine WHERE resolved_at IS NULL GROUP BY 1, 2`);
      for (const r of rows) this.set({ dataset: r.dataset, reason: r.reason }, r.n);
    },
  });

  new Gauge({
    name: "encore_check_level",
    help: "Latest result of each data check: 0 ok, 1 warn, 2 error.",
    labelNames: ["check", "dataset"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ check: string; dataset: string; level: keyof typeof LEVEL_VALUE }>(`
        SELECT DISTINCT ON ("check", dataset) "check", dataset, level FROM check_results ORDER BY "check", dataset, run_id DESC`);
      for (const r of rows) this.set({ check: r.check, dataset: r.dataset || "-" }, LEVEL_VALUE[r.level]);
    },
  });

  new Gauge({
    name: "encore_scheduler_heartbeat_timestamp_seconds",
    help: "Last heartbeat of the built-in scheduler (Unix time); absent when it never ran.",
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ at: number }>(`SELECT extract(epoch FROM beat_at)::float AS at FROM scheduler_heartbeats WHERE name = $1`, [SCHEDULER_NAME]);
      if (rows[0]) this.set(rows[0].at);
    },
  });

  new Gauge({
    name: "encore_open_alerts",
    help: "Alerts open or acknowledged, not yet resolved, by kind.",
    labelNames: ["kind"],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ kind: string; n: number }>(`SELECT kind, count(*)::int AS n FROM alerts WHERE state <> 'resolved' GROUP BY 1`);
      for (const r of rows) this.set({ kind: r.kind }, r.n);
    },
  });

  return registry;
}
