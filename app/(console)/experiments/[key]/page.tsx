import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ExperimentActions } from "@/components/experiments/ExperimentActions";
import { ExposuresChart, UpliftOverTime } from "@/components/experiments/ExperimentCharts";
import { IntervalBar } from "@/components/experiments/ForestPlot";
import { formatUtc } from "@/components/format";
import { PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { experimentKeyParam } from "@/server/serving/schemas";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Experiment" };

const pct = (v: number) => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;

export default async function ExperimentPage({ params }: { params: Promise<{ key: string }> }) {
  const operator = await requireOperator();
  const key = (await params).key;
  if (!experimentKeyParam.safeParse(key).success) notFound();
  const caller = await serverCaller();
  const data = await caller.experiments.get({ key }).catch(() => null);
  if (!data) notFound();
  const [{ experiment: e, notServed, results, history, exposuresPerDay }, metricList] = await Promise.all([Promise.resolve(data), caller.experiments.metrics()]);
  const direction = new Map<string, number>(metricList.map((m) => [m.key, m.direction]));
  const label = new Map<string, string>(metricList.map((m) => [m.key, m.label]));
  const metrics = [e.primaryMetric, ...e.secondaryMetrics, ...e.guardrailMetrics].filter((m, i, all) => all.indexOf(m) === i);
  const scale = Math.max(0.05, ...(results?.variants.slice(1).flatMap((v) => metrics.flatMap((m) => v.metrics[m]?.uplift?.ci.map(Math.abs) ?? [])) ?? []).filter(Number.isFinite));
  const warning = results?.srm.flagged
    ? `Sample ratio mismatch (p ${results.srm.pValue.toExponential(2)}): exposures do not match the weights, so these results cannot be trusted.`
    : results?.dataQuality.length
      ? `Data quality: ${results.dataQuality.join("; ")}.`
      : null;
  const uplift = history.flatMap((h) => {
    const u = h.results.variants[1]?.metrics[e.primaryMetric]?.uplift;
    return u ? [{ day: h.day, estimate: u.relative, band: u.ci }] : [];
  });
  return (
    <>
      <PageHead title={e.name} subtitle={`experiment ${e.key} · ${e.status}`}>
        <Link href="/experiments">All experiments</Link>
      </PageHead>
      {notServed && (
        <p className="error" role="alert" data-testid="not-served">
          Not served: {notServed}. Its listeners get the champion and no exposures are recorded; decide it (ship another variant, or none) or restore the artefact.
        </p>
      )}
      <div className="grid-2">
        <section className="panel" aria-label="Design">
          <h2>Design</h2>
          <dl className="facts">
            <dt>Hypothesis</dt><dd>{e.hypothesis}</dd>
            <dt>Variants</dt><dd>{e.variants.map((v) => <span key={v.key} style={{ display: "block" }}>{v.key}: <Link href={`/models/${v.versionId}`}>version {v.versionId}</Link>, {Math.round(v.weight * 1000) / 10}%</span>)}</dd>
            <dt>Allocation</dt><dd>coverage {Math.round(e.coverage * 100)}%{e.namespace ? ` of namespace ${e.namespace} [${e.namespaceStart}, ${e.namespaceEnd})` : ""}, hash seed <code>{e.seed}</code> (GrowthBook v2)</dd>
            <dt>Metrics</dt><dd>primary {e.primaryMetric}; secondary {e.secondaryMetrics.join(", ") || "—"}; guardrails {e.guardrailMetrics.join(", ") || "—"}</dd>
            <dt>Statistics</dt><dd>α {e.alpha}, {e.sequential ? "sequential (always-valid intervals)" : "fixed horizon"}, correction {e.correction}</dd>
            <dt>Timeline</dt><dd>created <Time value={e.createdAt} /> by {e.createdBy}{e.startedAt && <>; started <Time value={e.startedAt} /></>}{e.stoppedAt && <>; stopped <Time value={e.stoppedAt} /></>}{e.decidedAt && <>; decided <Time value={e.decidedAt} /> by {e.decidedBy}: {e.shippedVariant ? `shipped ${e.shippedVariant}` : "nothing shipped"}</>}</dd>
          </dl>
        </section>
        <ExposuresChart rows={exposuresPerDay} variants={e.variants.map((v) => v.key)} />
      </div>

      {results ? (
        <>
          <section className="panel" aria-label="Results">
            <h2>Results</h2>
            <p>
              <span className={`badge ${results.srm.flagged ? "error" : "ok"}`} data-testid="srm">{results.srm.flagged ? "SRM detected" : "no SRM"}</span>{" "}
              <span className="muted">χ² {results.srm.chiSquare.toFixed(2)}, p {results.srm.pValue.toFixed(4)} · analysed <Time value={new Date(results.computedAt)} />, data up to <Time value={new Date(results.asOf)} /> · users {results.variants.map((v) => `${v.key} ${v.users}`).join(", ")}</span>
            </p>
            {results.dataQuality.length > 0 && (
              <ul className="notice" aria-label="Data quality">{results.dataQuality.map((n) => <li key={n}>{n}</li>)}</ul>
            )}
            <ScrollRegion label="Metrics">
              <table aria-label="Metrics">
                <thead>
                  <tr><th>Metric</th><th>Variant</th><th>Mean</th><th>Uplift</th><th>Interval</th><th>p (adjusted)</th><th>Chance to beat control</th><th>CUPED</th></tr>
                </thead>
                <tbody>
                  {metrics.flatMap((m) =>
                    results.variants.map((v, i) => {
                      const r = v.metrics[m];
                      if (!r) return null;
                      const better = r.uplift && r.significant ? (direction.get(m) ?? 1) * r.uplift.relative > 0 : null;
                      return (
                        <tr key={`${m}-${v.key}`} data-testid={`metric-${m}-${v.key}`}>
                          <td>{i === 0 ? <>{label.get(m) ?? m}{m === e.primaryMetric && <span className="badge running"> primary</span>}{e.guardrailMetrics.includes(m) && <span className="badge warn"> guardrail</span>}</> : ""}</td>
                          <td>{v.key}</td>
                          <td>{r.mean.toFixed(4)}</td>
                          <td>{r.uplift ? <>{pct(r.uplift.relative)} <span className="muted">[{pct(r.uplift.ci[0])}, {pct(r.uplift.ci[1])}]</span></> : <span className="muted">control</span>}</td>
                          <td>{r.uplift && <IntervalBar low={r.uplift.ci[0]} estimate={r.uplift.relative} high={r.uplift.ci[1]} scale={scale} better={better} />}</td>
                          <td>{r.adjustedPValue !== undefined ? <>{r.adjustedPValue.toFixed(4)}{r.significant && <strong> significant</strong>}</> : ""}</td>
                          <td>{r.chanceToBeatControl !== undefined ? `${(r.chanceToBeatControl * 100).toFixed(1)}%` : ""}</td>
                          <td>{i === 0 && r.varianceReduction !== undefined ? `−${(r.varianceReduction * 100).toFixed(0)}% variance` : ""}</td>
                        </tr>
                      );
                    }),
                  )}
                </tbody>
              </table>
            </ScrollRegion>
          </section>
          <UpliftOverTime points={uplift} metric={e.primaryMetric} />
        </>
      ) : (
        <section className="panel"><p className="muted">No analysis yet: the analyze pipeline runs after each ingestion (or <code>npm run job -- analyze</code>).</p></section>
      )}
      {hasRole(operator.role, "operator") && <ExperimentActions experimentKey={e.key} status={e.status} variants={e.variants.map((v) => ({ key: v.key, versionId: v.versionId }))} warning={warning} />}
    </>
  );
}
