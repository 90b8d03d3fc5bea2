import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { formatDuration, secondsBetween } from "@/components/format";
import { AutoRefresh } from "@/components/layout/AutoRefresh";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { FilterSelect } from "@/components/layout/FilterSelect";
import { Pagination } from "@/components/layout/Pagination";
import { RunGrid } from "@/components/runs/RunGrid";
import { OUTCOME_COLUMNS, outcomeCells } from "@/components/runs/RunOutcome";
import { TrainNowButton } from "@/components/models/ModelActions";
import { TriggerRunButton } from "@/components/runs/RunActions";
import { StatusBadge } from "@/components/runs/StatusBadge";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { MAX_PAGE } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Runs" };

/** A UTC calendar day that exists (2026-99-99 and 2026-02-30 do not: they would reach the query as Invalid Date). */
function isDay(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(time) && new Date(time).toISOString().startsWith(text);
}
const day = z.string().refine(isDay).optional().catch(undefined);
const PIPELINES = ["ingest", "train", "analyze", "demo"] as const;
const SUBTITLES: Record<(typeof PIPELINES)[number], string> = {
  ingest: "Ingestion runs and their tasks.",
  train: "Training runs: the versions each registered and whether the best became champion.",
  analyze: "Analysis runs: each recomputes the running experiments' results.",
  demo: "Demo experiment runs: 7 rounds of the built-in simulator in real time, its experiment decided at the end without shipping.",
};
const STATUSES = ["running", "success", "failed", "skipped", "queued"] as const;
const filters = z.object({
  pipeline: z.enum(PIPELINES).catch("ingest").default("ingest"),
  status: z.enum(STATUSES).optional().catch(undefined),
  trigger: z.enum(["cron", "console", "cli", "api"]).optional().catch(undefined),
  from: day,
  to: day,
  page: z.coerce.number().int().min(1).max(MAX_PAGE).catch(1).default(1),
});

export default async function RunsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const operator = await requireOperator();
  const raw = await searchParams;
  const params = filters.parse(raw);
  // A day that is not one is left out of the filter, and the page says so.
  const ignoredDays = (["from", "to"] as const).filter((name) => typeof raw[name] === "string" && raw[name] !== "" && params[name] === undefined);
  const caller = await serverCaller();
  const filter = {
    pipeline: params.pipeline,
    status: params.status,
    trigger: params.trigger,
    from: params.from ? new Date(`${params.from}T00:00:00Z`) : undefined,
    // The "to" day is included: runs before the next midnight.
    to: params.to ? new Date(new Date(`${params.to}T00:00:00Z`).getTime() + 86_400_000) : undefined,
  };
  // The grid shows the newest runs that match the filters, as the list's first page does.
  const [grid, list, any] = await Promise.all([
    caller.runs.grid(filter),
    caller.runs.list({ ...filter, page: params.page, pageSize: 25 }),
    caller.runs.list({ pipeline: params.pipeline, page: 1, pageSize: 1 }),
  ]);
  const running = grid.runs.some((r) => r.status === "running");
  const filtered = Boolean(params.status || params.trigger || params.from || params.to);
  const outcomeColumns = OUTCOME_COLUMNS[params.pipeline] ?? [];
  return (
    <>
      <PageHead title="Runs" subtitle={SUBTITLES[params.pipeline]}>
        <span className="toolbar">
          <AutoRefresh active={running} />
          {hasRole(operator.role, "operator") &&
            (params.pipeline === "ingest" ? <TriggerRunButton /> : params.pipeline === "train" ? <TrainNowButton /> : null)}
        </span>
      </PageHead>
      <nav className="tabs" aria-label="Pipelines">
        {PIPELINES.map((p) => (
          <Link key={p} href={`/runs?pipeline=${p}`} aria-current={params.pipeline === p ? "page" : undefined}>
            {p}
          </Link>
        ))}
      </nav>
      {ignoredDays.map((name) => (
        <p key={name} className="notice" role="status">
          “{String(raw[name])}” is not a day (YYYY-MM-DD); the {name === "from" ? "From" : "To"} filter is ignored.
        </p>
      ))}
      {any.total === 0 ? (
        <EmptyState title={`No ${params.pipeline} run recorded yet`}>
          {params.pipeline === "ingest"
            ? "Runs appear here as soon as the first ingestion starts."
            : `Runs of the ${params.pipeline} pipeline appear here once one starts.`}
        </EmptyState>
      ) : (
        <>
          {grid.runs.length > 0 && <RunGrid grid={grid} now={new Date()} />}
          {filtered && grid.runs.length > 0 && <p className="muted">The grid shows the newest {grid.runs.length} runs that match the filters.</p>}
          <h2>All runs</h2>
          <form className="form-row panel" method="get" aria-label="Filter runs">
            <input type="hidden" name="pipeline" value={params.pipeline} />
            <FilterSelect label="Status" name="status" options={STATUSES} value={params.status} />
            <FilterSelect label="Trigger" name="trigger" options={["cron", "console", "cli", "api"]} value={params.trigger} />
            {/* ISO days as the console writes them: a date input shows the browser's locale (mm/dd/yyyy in en-US). */}
            <label>
              From (UTC day)
              <input name="from" defaultValue={params.from} inputMode="numeric" pattern="\d{4}-\d{2}-\d{2}" placeholder="YYYY-MM-DD" size={10} />
            </label>
            <label>
              To (UTC day)
              <input name="to" defaultValue={params.to} inputMode="numeric" pattern="\d{4}-\d{2}-\d{2}" placeholder="YYYY-MM-DD" size={10} />
            </label>
            <button type="submit">Filter</button>
            <Link href={`/runs?pipeline=${params.pipeline}`}>Clear</Link>
          </form>
          <div className="panel scroll-x" style={{ marginTop: 12 }}>
            <table aria-label="Runs">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Status</th>
                  <th>Trigger</th>
                  <th>Created</th>
                  <th>Duration</th>
                  {params.pipeline === "ingest" && (
                    <>
                      <th>Rows fetched</th>
                      <th>Quarantined</th>
                    </>
                  )}
                  {outcomeColumns.map((c) => (
                    <th key={c}>{c}</th>
                  ))}
                  <th>Failed tasks · why skipped</th>
                </tr>
              </thead>
              <tbody>
                {list.runs.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Link href={`/runs/${run.id}`}>#{run.id}</Link>
                    </td>
                    <td>
                      <StatusBadge status={run.status} />
                    </td>
                    <td>
                      {run.trigger}
                      {run.triggeredBy && <span className="muted"> · {run.triggeredBy}</span>}
                    </td>
                    <td>
                      <Time value={run.createdAt} />
                    </td>
                    <td>{formatDuration(secondsBetween(run.startedAt, run.finishedAt))}</td>
                    {params.pipeline === "ingest" && (
                      <>
                        <td>{run.rowsFetched.toLocaleString("en-GB")}</td>
                        <td>{run.rowsRejected.toLocaleString("en-GB")}</td>
                      </>
                    )}
                    {outcomeCells(run.outcome).map((cell) => (
                      <td key={cell.key}>{cell.value}</td>
                    ))}
                    <td>
                      {run.failedTasks.join(", ")}
                      {run.status === "skipped" && run.error && <span className="muted">{run.error}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {list.runs.length === 0 && <p className="muted">No run matches these filters.</p>}
            <Pagination
              page={list.page}
              pageSize={list.pageSize}
              total={list.total}
              path="/runs"
              params={{ pipeline: params.pipeline, status: params.status, trigger: params.trigger, from: params.from, to: params.to }}
            />
          </div>
        </>
      )}
    </>
  );
}
