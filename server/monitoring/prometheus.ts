import { Gauge, Registry } from "prom-client";
import type pg from "pg";
import type { Database } from "../db/client";
import { isDatabaseUnavailable } from "../db/unavailable";
import { SCHEDULER_NAME } from "../jobs/scheduler";

const LEVEL_VALUE: Record<string, number> = { ok: 0, warn: 1, error: 2 };

type Sample = { labels?: Record<string, string>; value: number };

interface LedgerGauge<Row extends pg.QueryResultRow> {
  name: string;
  help: string;
  labelNames?: string[];
  sql: string;
  params?: unknown[];
  samples(row: Row): Sample[];
}

/** A gauge set at each scrape from one query of the ledger. */
function ledgerGauge<Row extends pg.QueryResultRow>(registry: Registry, pool: pg.Pool, spec: LedgerGauge<Row>) {
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<Row>(spec.sql, spec.params);
      for (const row of rows) for (const s of spec.samples(row)) s.labels ? this.set(s.labels, s.value) : this.set(s.value);
    },
  });
}

/**
 * Prometheus metrics, read from the run ledger at scrape time: runs happen in any process (web,
 * scheduler, CLI), so counters kept in one process's memory would miss most of them.
 */
export function metricsRegistry(database: Database): Registry {
  const registry = new Registry();
  const gauge = <Row extends pg.QueryResultRow>(spec: LedgerGauge<Row>) => ledgerGauge(registry, database.pool, spec);

  gauge<{ pipeline: string; status: string; n: number }>({
    name: "encore_pipeline_runs",
    help: "Runs recorded in the ledger, by pipeline and status.",
    labelNames: ["pipeline", "status"],
    sql: `SELECT pipeline, status, count(*)::int AS n FROM pipeline_runs GROUP BY 1, 2`,
    samples: (r) => [{ labels: { pipeline: r.pipeline, status: r.status }, value: r.n }],
  });
  gauge<{ pipeline: string; status: string; seconds: number }>({
    name: "encore_pipeline_last_run_duration_seconds",
    help: "Duration of the latest ended run, by pipeline and its status.",
    labelNames: ["pipeline", "status"],
    sql: `SELECT DISTINCT ON (pipeline) pipeline, status, extract(epoch FROM finished_at - started_at)::float AS seconds
            FROM pipeline_runs WHERE finished_at IS NOT NULL AND started_at IS NOT NULL ORDER BY pipeline, id DESC`,
    samples: (r) => [{ labels: { pipeline: r.pipeline, status: r.status }, value: r.seconds }],
  });
  gauge<{ pipeline: string; p95: number }>({
    name: "encore_pipeline_run_duration_p95_seconds",
    help: "95th percentile of the duration of the last 20 successful runs, by pipeline.",
    labelNames: ["pipeline"],
    sql: `SELECT pipeline, percentile_cont(0.95) WITHIN GROUP (ORDER BY d) AS p95 FROM (
            SELECT pipeline, extract(epoch FROM finished_at - started_at) AS d, row_number() OVER (PARTITION BY pipeline ORDER BY id DESC) AS n
              FROM pipeline_runs WHERE status = 'success') s WHERE n <= 20 GROUP BY pipeline`,
    samples: (r) => [{ labels: { pipeline: r.pipeline }, value: r.p95 }],
  });
  gauge<{ pipeline: string; at: number }>({
    name: "encore_pipeline_last_success_timestamp_seconds",
    help: "When the latest successful run of each pipeline finished (Unix time).",
    labelNames: ["pipeline"],
    sql: `SELECT pipeline, extract(epoch FROM max(finished_at))::float AS at FROM pipeline_runs WHERE status = 'success' GROUP BY 1`,
    samples: (r) => [{ labels: { pipeline: r.pipeline }, value: r.at }],
  });
  gauge<{ pipeline: string; task: string; n: number }>({
    name: "encore_task_failures",
    help: "Failed task tries in the ledger, by pipeline and task.",
    labelNames: ["pipeline", "task"],
    sql: `SELECT r.pipeline, t.task, count(*)::int AS n FROM task_runs t JOIN pipeline_runs r ON r.id = t.run_id WHERE t.status = 'failed' GROUP BY 1, 2`,
    samples: (r) => [{ labels: { pipeline: r.pipeline, task: r.task }, value: r.n }],
  });
  gauge<{ task: string; fetched: number; inserted: number; updated: number; unchanged: number; rejected: number }>({
    name: "encore_rows",
    help: "Rows handled by all task tries, by dataset and action (fetched, inserted, updated, unchanged, rejected).",
    labelNames: ["dataset", "action"],
    sql: `SELECT task, sum(rows_fetched)::float AS fetched, sum(rows_inserted)::float AS inserted, sum(rows_updated)::float AS updated,
                 sum(rows_unchanged)::float AS unchanged, sum(rows_rejected)::float AS rejected
            FROM task_runs WHERE task IN ('tracks', 'users', 'listen_history') GROUP BY task`,
    samples: (r) =>
      (["fetched", "inserted", "updated", "unchanged", "rejected"] as const).map((action) => ({ labels: { dataset: r.task, action }, value: r[action] })),
  });
  gauge<{ dataset: string; reason: string; n: number }>({
    name: "encore_quarantine_records",
    help: "Records in quarantine not loaded since, by dataset and reason.",
    labelNames: ["dataset", "reason"],
    sql: `SELECT dataset, reason_code AS reason, count(*)::int AS n FROM quarantine WHERE resolved_at IS NULL GROUP BY 1, 2`,
    samples: (r) => [{ labels: { dataset: r.dataset, reason: r.reason }, value: r.n }],
  });
  gauge<{ check: string; dataset: string; level: string }>({
    name: "encore_check_level",
    help: "Latest result of each data check: 0 ok, 1 warn, 2 error.",
    labelNames: ["check", "dataset"],
    sql: `SELECT DISTINCT ON ("check", dataset) "check", dataset, level FROM check_results ORDER BY "check", dataset, run_id DESC`,
    samples: (r) => [{ labels: { check: r.check, dataset: r.dataset || "-" }, value: LEVEL_VALUE[r.level] ?? -1 }],
  });
  gauge<{ at: number }>({
    name: "encore_scheduler_heartbeat_timestamp_seconds",
    help: "Last heartbeat of the built-in scheduler (Unix time); absent when it never ran.",
    sql: `SELECT extract(epoch FROM beat_at)::float AS at FROM scheduler_heartbeats WHERE name = $1`,
    params: [SCHEDULER_NAME],
    samples: (r) => [{ value: r.at }],
  });
  gauge<{ kind: string; n: number }>({
    name: "encore_open_alerts",
    help: "Alerts open or acknowledged, not yet resolved, by kind.",
    labelNames: ["kind"],
    sql: `SELECT kind, count(*)::int AS n FROM alerts WHERE state <> 'resolved' GROUP BY 1`,
    samples: (r) => [{ labels: { kind: r.kind }, value: r.n }],
  });
  gauge<{ version: number; family: string; ndcg10: number; recall20: number; coverage: number }>({
    name: "encore_champion_offline_metric",
    help: "The served model (alias champion): its offline NDCG@10 and recall@20 on its test split, its catalogue coverage; absent before the first champion.",
    labelNames: ["version", "family", "metric"],
    sql: `SELECT v.id AS version, v.family, (v.metrics->'overall'->>'ndcg@10')::float AS ndcg10, (v.metrics->'overall'->>'recall@20')::float AS recall20,
                 (v.metrics->>'coverage')::float AS coverage
            FROM model_aliases a JOIN model_versions v ON v.id = a.version_id WHERE a.alias = 'champion'`,
    samples: (r) =>
      (["ndcg10", "recall20", "coverage"] as const).map((metric) => ({ labels: { version: String(r.version), family: r.family, metric }, value: r[metric] })),
  });
  gauge<{ metric: string; value: number }>({
    name: "encore_champion_online_metric",
    help: "The champion on the listening that arrived after its snapshot, latest day measured: NDCG@10, recall@20, users.",
    labelNames: ["metric"],
    sql: `SELECT m.key AS metric, m.value::float AS value
            FROM (SELECT o.metrics, o.users FROM model_online_metrics o JOIN model_aliases a ON a.version_id = o.version_id AND a.alias = 'champion'
                   ORDER BY o.day DESC LIMIT 1) latest,
                 LATERAL jsonb_each_text(jsonb_build_object('ndcg10', latest.metrics->'ndcg@10', 'recall20', latest.metrics->'recall@20', 'users', latest.users)) m`,
    samples: (r) => [{ labels: { metric: r.metric }, value: r.value }],
  });
  gauge<{ age: number }>({
    name: "encore_champion_age_seconds",
    help: "Seconds since the champion's version was trained.",
    sql: `SELECT extract(epoch FROM now() - v.created_at)::float AS age FROM model_aliases a JOIN model_versions v ON v.id = a.version_id WHERE a.alias = 'champion'`,
    samples: (r) => [{ value: r.age }],
  });
  return registry;
}

/** The scrape's answer: every registry in Prometheus text, or 503 with a short reason while the database cannot be reached. */
export async function metricsResponse(registries: Registry[]): Promise<Response> {
  let text: string;
  try {
    text = (await Promise.all(registries.map((r) => r.metrics()))).join("\n");
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    console.error(`[encore] /api/metrics: the database cannot be reached: ${error instanceof Error ? error.message : String(error)}`);
    return new Response("The database cannot be reached; the ledger's metrics are unavailable until it is back.\n", {
      status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "Retry-After": "5" },
    });
  }
  return new Response(text, { headers: { "Content-Type": registries[0]!.contentType, "Cache-Control": "no-store" } });
}
