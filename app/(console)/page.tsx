import type { Metadata } from "next";
import Link from "next/link";
import { DurationChart, OutcomesPerDayChart, RowsPerDayChart, RowsPerRunChart } from "@/components/charts/PipelineCharts";
import { formatAge, formatDuration, formatPercent } from "@/components/format";
import { AutoRefresh } from "@/components/layout/AutoRefresh";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { ChampionCards } from "@/components/models/ChampionCards";
import { TriggerRunButton } from "@/components/runs/RunActions";
import { StatusBadge } from "@/components/runs/StatusBadge";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage() {
  const operator = await requireOperator();
  const caller = await serverCaller();
  const [overview, models] = await Promise.all([caller.overview.get(), caller.models.champion()]);
  const { lastRun, successRate, durationSeconds, freshness, charts, openAlerts } = overview;
  const canTrigger = hasRole(operator.role, "operator");
  return (
    <>
      <PageHead title="Overview" subtitle="Is today's data in, complete and fresh?">
        <span className="toolbar">
          <AutoRefresh active={lastRun?.status === "running"} />
          {canTrigger && <TriggerRunButton />}
        </span>
      </PageHead>
      {!lastRun ? (
        <EmptyState title="No pipeline runs yet">
          The first ingestion starts on its own when Encore starts for the first time{canTrigger ? ", or start one now with the button above" : ""}.
        </EmptyState>
      ) : (
        <>
          <div className="cards">
            <div className="card" data-testid="last-run">
              <div className="label">Last run</div>
              <div className="value">
                <Link href={`/runs/${lastRun.id}`}>#{lastRun.id}</Link> <StatusBadge status={lastRun.status} />
              </div>
              <div className="sub">
                {formatAge(lastRun.ageSeconds)} · <Time value={lastRun.createdAt} />
              </div>
            </div>
            <div className="card">
              <div className="label">Success, 7 days</div>
              <div className="value">{formatPercent(successRate.d7.share)}</div>
              <div className="sub">
                {successRate.d7.succeeded} of {successRate.d7.ended} runs
              </div>
            </div>
            <div className="card">
              <div className="label">Success, 30 days</div>
              <div className="value">{formatPercent(successRate.d30.share)}</div>
              <div className="sub">
                {successRate.d30.succeeded} of {successRate.d30.ended} runs
              </div>
            </div>
            <div className="card">
              <div className="label">Duration p50 / p95</div>
              <div className="value">{formatDuration(durationSeconds.p50)}</div>
              <div className="sub">p95 {formatDuration(durationSeconds.p95)} · successful runs, 30 days</div>
            </div>
            <div className="card">
              <div className="label">Open alerts</div>
              <div className="value">
                <Link href="/alerts">{openAlerts}</Link>
              </div>
              <div className="sub">open or acknowledged</div>
            </div>
          </div>

          <ChampionCards summary={models} />

          <section className="panel" style={{ marginBottom: 16 }}>
            <h2 style={{ marginTop: 0 }}>Freshness</h2>
            <ScrollRegion label="Freshness">
              <table aria-label="Freshness">
                <thead>
                  <tr>
                    <th>Dataset</th>
                    <th>Newest updated_at</th>
                    <th>Age</th>
                    <th>Policy</th>
                    <th>State</th>
                  </tr>
                </thead>
                <tbody>
                  {freshness.map((f) => (
                    <tr key={f.dataset} data-testid={`freshness-${f.dataset}`}>
                      <td>{f.dataset}</td>
                      <td>
                        <Time value={f.newest} />
                      </td>
                      <td>{f.ageHours === null ? "no rows" : `${f.ageHours.toFixed(1)} h`}</td>
                      <td>
                        warn after {f.warnHours} h, error after {f.errorHours} h
                      </td>
                      <td>
                        <StatusBadge status={f.level} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          </section>

          <div className="charts">
            <DurationChart data={charts.durations} />
            <RowsPerRunChart data={charts.rowsPerRun} />
            <OutcomesPerDayChart data={charts.outcomesPerDay} />
            <RowsPerDayChart data={charts.rowsPerDay} />
          </div>
        </>
      )}
    </>
  );
}
