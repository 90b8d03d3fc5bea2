import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { formatBytes, formatDuration, secondsBetween } from "@/components/format";
import { QuarantinedRecords } from "@/components/data/QuarantinedRecords";
import { AutoRefresh } from "@/components/layout/AutoRefresh";
import { PageHead } from "@/components/layout/EmptyState";
import { Pagination } from "@/components/layout/Pagination";
import { CancelRunButton, RetryRunButton } from "@/components/runs/RunActions";
import { StatusBadge } from "@/components/runs/StatusBadge";
import { Timeline } from "@/components/runs/Timeline";
import { ProducedPanel } from "@/components/runs/RunOutcome";
import { progressUnit } from "@/components/runs/progress-unit";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { serverCaller } from "@/server/trpc/server-caller";
import { MAX_PAGE } from "@/server/trpc/inputs";
import { DATASETS } from "@/server/ingestion/records";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Run" };

const params = z.object({
  task: z.string().optional().catch(undefined),
  try: z.coerce.number().int().optional().catch(undefined),
  qdataset: z.enum(DATASETS).optional().catch(undefined),
  qpage: z.coerce.number().int().min(1).max(MAX_PAGE).catch(1).default(1),
});

export default async function RunPage({
  params: route,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const operator = await requireOperator();
  const runId = Number((await route).id);
  if (!Number.isInteger(runId) || runId < 1) notFound();
  const query = params.parse(await searchParams);
  const caller = await serverCaller();
  const run = await caller.runs.get({ runId }).catch(() => null);
  if (!run) notFound();
  const quarantine = await caller.runs.quarantine({ runId, dataset: query.qdataset, page: query.qpage, pageSize: 20 });
  const canAct = hasRole(operator.role, "operator");
  const latest = new Map(run.tasks.map((t) => [t.task, t]));
  const retryable = run.status === "failed" && [...latest.values()].some((t) => t.status !== "success");
  const selected = run.tasks.find((t) => t.task === query.task && (query.try === undefined || t.tryNumber === query.try));
  const now = new Date();
  // Row counters and quarantine belong to pipelines that move rows (ingestion); the others say what they produced.
  const movesRows = run.pipeline === "ingest" || run.tasks.some((t) => t.rowsFetched > 0 || t.rowsRejected > 0);
  // Ingestion and training check their data; analysis and the demo have no checks of their own.
  const hasChecks = movesRows || run.pipeline === "train" || run.checks.length > 0;

  return (
    <>
      <PageHead title={`Run #${run.id}`} subtitle={`${run.pipeline} · triggered by ${run.trigger}${run.triggeredBy ? ` (${run.triggeredBy})` : ""}`}>
        <span className="toolbar">
          <StatusBadge status={run.status} />
          <AutoRefresh active={run.status === "running"} />
          {canAct && run.status === "running" && <CancelRunButton runId={run.id} />}
          {canAct && retryable && <RetryRunButton runId={run.id} />}
        </span>
      </PageHead>

      <div className="cards">
        <div className="card">
          <div className="label">Created</div>
          <div className="sub">
            <Time value={run.createdAt} />
          </div>
        </div>
        <div className="card">
          <div className="label">Duration</div>
          <div className="value">{formatDuration(secondsBetween(run.startedAt, run.finishedAt ?? (run.status === "running" ? now : null)))}</div>
        </div>
        <div className="card">
          <div className="label">CPU time</div>
          <div className="value">{run.cpuMs === null ? "—" : formatDuration(run.cpuMs / 1000)}</div>
        </div>
        <div className="card">
          <div className="label">Peak memory</div>
          <div className="value">{formatBytes(run.peakRssBytes)}</div>
        </div>
      </div>
      {run.cancelRequestedBy && <p className="notice">Cancel asked by {run.cancelRequestedBy}.</p>}
      {run.error && (
        <pre className="log" role="alert" tabIndex={0} style={{ marginBottom: 16 }}>
          {run.error}
        </pre>
      )}
      {run.outcome && run.status !== "skipped" && <ProducedPanel outcome={run.outcome} />}

      <section className="panel">
        <h2 style={{ marginTop: 0 }}>Timeline</h2>
        <Timeline tries={run.tasks} now={now} />
      </section>

      <h2>Task tries</h2>
      {run.tasks.map((t) => {
        const isSelected = selected?.id === t.id;
        return (
          <details
            key={t.id}
            id={`try-${t.id}`}
            className={`try${isSelected ? " row-highlight" : ""}`}
            open={isSelected || t.status === "failed" || t.status === "running"}
            data-testid={`try-${t.task}-${t.tryNumber}`}
          >
            <summary>
              <strong>{t.task}</strong> <span className="muted">try {t.tryNumber}</span> <StatusBadge status={t.status} />
              <span className="muted">{formatDuration(secondsBetween(t.startedAt, t.finishedAt))}</span>
              {t.pagesTotal !== null && (
                <span>
                  <span
                    className="progress"
                    role="progressbar"
                    aria-label={`${progressUnit(run.pipeline, t.task)} done`}
                    aria-valuemin={0}
                    aria-valuemax={t.pagesTotal}
                    aria-valuenow={t.pagesDone}
                  >
                    <span style={{ width: `${t.pagesTotal ? Math.min(100, (t.pagesDone / t.pagesTotal) * 100) : 0}%` }} />
                  </span>{" "}
                  {t.pagesDone.toLocaleString("en-GB")}/{t.pagesTotal.toLocaleString("en-GB")} {progressUnit(run.pipeline, t.task)}
                </span>
              )}
            </summary>
            <div className="body">
              <p>
                {movesRows && (
                  <>
                    fetched {t.rowsFetched} · inserted {t.rowsInserted} · updated {t.rowsUpdated} · unchanged {t.rowsUnchanged} · quarantined {t.rowsRejected} ·{" "}
                  </>
                )}
                <span className="muted">
                  started <Time value={t.startedAt} /> · finished <Time value={t.finishedAt} />
                </span>
              </p>
              {t.error && <p className="error">{t.error}</p>}
              {t.details && Object.keys(t.details as object).length > 0 && (
                <details>
                  <summary>Details</summary>
                  <pre className="log" role="region" tabIndex={0} aria-label={`details of ${t.task} try ${t.tryNumber}`}>
                    {JSON.stringify(t.details, null, 2)}
                  </pre>
                </details>
              )}
              <pre className="log" role="region" tabIndex={0} aria-label={`log of ${t.task} try ${t.tryNumber}`}>
                {t.logs.length ? t.logs.join("\n") : "(no log lines)"}
              </pre>
            </div>
          </details>
        );
      })}

      {hasChecks && (
        <>
          <h2>Data checks</h2>
          {run.checks.length === 0 ? (
            <p className="muted">No check results: the checks task has not run.</p>
          ) : (
            <div className="panel wrap-cells">
              <table aria-label="Data checks">
                <thead>
                  <tr>
                    <th>Check</th>
                    <th>Dataset</th>
                    <th>Level</th>
                    <th>Measured</th>
                  </tr>
                </thead>
                <tbody>
                  {run.checks.map((c) => (
                    <tr key={c.id}>
                      <td>{c.check}</td>
                      <td>{c.dataset || "—"}</td>
                      <td>
                        <StatusBadge status={c.level} />
                      </td>
                      <td>{c.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}

      {movesRows && (
        <>
          <h2>Quarantine</h2>
          <p>
            {run.quarantine.length === 0
              ? "Nothing was quarantined in this run."
              : run.quarantine.map((q) => `${q.count} ${q.dataset} (${q.reasonCode})`).join(" · ")}
          </p>
          {quarantine.total > 0 && (
            <div className="panel">
              <nav className="toolbar" aria-label="Quarantine by dataset">
                <Link href={`/runs/${run.id}`}>all</Link>
                {DATASETS.map((d) => (
                  <Link key={d} href={`/runs/${run.id}?qdataset=${d}`}>
                    {d}
                  </Link>
                ))}
              </nav>
              <QuarantinedRecords rows={quarantine.rows} />
              <Pagination
                page={query.qpage}
                pageSize={20}
                total={quarantine.total}
                path={`/runs/${run.id}`}
                params={{ qdataset: query.qdataset }}
                pageParam="qpage"
              />
            </div>
          )}
        </>
      )}
    </>
  );
}
