import type { Metadata } from "next";
import Link from "next/link";
import { formatDuration, formatUtc } from "@/components/format";
import { AnalyzeNowButton, DemoButton } from "@/components/experiments/ExperimentActions";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";

export const metadata: Metadata = { title: "Experiments" };

/** How long it ran, in whole days once it reaches one (a demo's days are minutes of real time). */
function ranForText(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  return days >= 1 ? `${days} day${days === 1 ? "" : "s"}` : formatDuration(ms / 1000);
}

const pct = (v: number) => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;

export default async function ExperimentsPage() {
  const operator = await requireOperator();
  const experiments = await (await serverCaller()).experiments.list();
  return (
    <>
      <PageHead title="Experiments" subtitle="A/B experiments between model versions">
        {hasRole(operator.role, "operator") && (
          <span className="toolbar">
            <AnalyzeNowButton />
            <DemoButton />
            <Link className="button primary" href="/experiments/new">
              New experiment
            </Link>
          </span>
        )}
      </PageHead>
      {experiments.length === 0 ? (
        <EmptyState title="No experiments yet">
          An operator designs one (with the power calculator) from “New experiment”; <code>npm run demo:experiment</code> shows one on the simulator.
        </EmptyState>
      ) : (
        <ScrollRegion panel label="Experiments">
          <table aria-label="Experiments">
            <thead>
              <tr>
                <th>Experiment</th>
                <th>Status</th>
                <th>Variants</th>
                <th>Ran for</th>
                <th>Exposed</th>
                <th>SRM</th>
                <th>Primary metric</th>
              </tr>
            </thead>
            <tbody>
              {experiments.map((e) => {
                const ranFor = e.startedAt ? ranForText((e.stoppedAt ?? new Date()).getTime() - e.startedAt.getTime()) : null;
                const latest = e.latest;
                const primary = latest?.variants[1]?.metrics[e.primaryMetric];
                return (
                  <tr key={e.key} data-testid={`experiment-${e.key}`}>
                    <td>
                      <Link href={`/experiments/${e.key}`}>{e.name}</Link> <span className="muted">{e.key}</span>
                    </td>
                    <td>
                      <span className={`badge ${e.status === "running" ? "running" : e.status === "decided" ? "success" : ""}`}>{e.status}</span>
                      {e.shippedVariant && <span className="muted"> · shipped {e.shippedVariant}</span>}
                      {e.notServed && (
                        <span className="badge error" title={e.notServed}>
                          {" "}
                          not served
                        </span>
                      )}
                    </td>
                    <td>{e.variants.map((v) => `${v.key} v${v.versionId} (${Math.round(v.weight * 100)}%)`).join(" · ")}</td>
                    <td data-testid={`ran-for-${e.key}`}>
                      {ranFor ?? "—"}
                      {e.startedAt && (
                        <span className="muted" title={formatUtc(e.startedAt)}>
                          {" "}
                          since {e.startedAt.toISOString().slice(0, 10)}
                        </span>
                      )}
                    </td>
                    <td>{latest ? latest.variants.map((v) => v.users).join(" / ") : "—"}</td>
                    <td>{latest ? <span className={`badge ${latest.srm.flagged ? "error" : "ok"}`}>{latest.srm.flagged ? "SRM" : "ok"}</span> : "—"}</td>
                    <td>
                      {e.primaryMetric}
                      {primary?.uplift && (
                        <>
                          {" "}
                          {pct(primary.uplift.relative)}{" "}
                          <span className="muted">
                            [{pct(primary.uplift.ci[0])}, {pct(primary.uplift.ci[1])}]
                          </span>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </>
  );
}
