import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AnalyzeNowButton, ExperimentActions } from "@/components/experiments/ExperimentActions";
import { ExposuresChart, UpliftOverTime } from "@/components/experiments/ExperimentCharts";
import { IntervalBar, metricAxis } from "@/components/experiments/ForestPlot";
import { chanceTone, formatP, formatPercent, formatRisk, formatVarianceReduction } from "@/components/experiments/format";
import styles from "@/components/experiments/experiments.module.css";
import { PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { experimentKeyParam } from "@/server/serving/schemas";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Experiment" };

/** The share of listeners it reaches, and who holds the rest of its allocation. */
function describeReach(
  reach: { listeners: number; reachable: number; share: number | null; heldBy: { key: string; listeners: number }[] },
  draft: boolean,
): string {
  if (reach.share === null) return "no listeners yet";
  const held = reach.heldBy.map((h) => `${h.key} holds ${h.listeners}`).join(", ");
  const share = `${(reach.share * 100).toFixed(1)}% of the ${reach.listeners} listeners (${reach.reachable})${draft ? " if started now" : ""}`;
  if (reach.share === 0)
    return `${share}: ${held ? `${held} of those it includes, as started earlier` : "its allocation includes none"}. It cannot start: give the experiments one namespace with disjoint ranges, or lower the other's coverage, or stop it.`;
  return held ? `${share}; of the listeners it includes, ${held}, as started earlier` : share;
}

export default async function ExperimentPage({ params }: { params: Promise<{ key: string }> }) {
  const operator = await requireOperator();
  const key = (await params).key;
  if (!experimentKeyParam.safeParse(key).success) notFound();
  const caller = await serverCaller();
  const data = await caller.experiments.get({ key }).catch(() => null);
  if (!data) notFound();
  const [{ experiment: e, notServed, results, history, exposuresPerDay }, metricList, reach] = await Promise.all([
    Promise.resolve(data),
    caller.experiments.metrics(),
    caller.experiments.reach({ key }),
  ]);
  const reachText = reach && describeReach(reach, e.status === "draft");
  const direction = new Map<string, number>(metricList.map((m) => [m.key, m.direction]));
  const label = new Map<string, string>(metricList.map((m) => [m.key, m.label]));
  const metrics = [e.primaryMetric, ...e.secondaryMetrics, ...e.guardrailMetrics].filter((m, i, all) => all.indexOf(m) === i);
  // Each metric on its own axis: one wide interval does not shrink the others to dots.
  const axes = new Map(metrics.map((m) => [m, metricAxis(results?.variants.flatMap((v) => (v.metrics[m]?.uplift ? [v.metrics[m].uplift.ci] : [])) ?? [])]));
  const srmText = results?.srm.flagged
    ? `Sample ratio mismatch (χ² ${results.srm.chiSquare.toFixed(1)}, p ${formatP(results.srm.pValue)}): exposures do not match the weights, so these results cannot be trusted until the cause is found.`
    : null;
  const warning = [srmText, results?.dataQuality.length ? `Data quality: ${results.dataQuality.join("; ")}.` : null].filter(Boolean).join(" ") || null;
  const uplift = history.flatMap((h) => {
    const u = h.results.variants[1]?.metrics[e.primaryMetric]?.uplift;
    return u ? [{ day: h.day, estimate: u.relative, band: u.ci }] : [];
  });
  return (
    <>
      <PageHead title={e.name} subtitle={`experiment ${e.key} · ${e.status}`}>
        <span className="toolbar">
          {hasRole(operator.role, "operator") && e.status === "running" && <AnalyzeNowButton />}
          <Link href="/experiments">All experiments</Link>
        </span>
      </PageHead>
      {notServed && (
        <p className="error" role="alert" data-testid="not-served">
          Not served: {notServed}. Its listeners get the champion and no exposures are recorded; decide it (ship another variant, or none) or restore the
          artefact.
        </p>
      )}
      {results && (srmText || results.dataQuality.length > 0) && (
        <section className={styles.banner} aria-label="Can these results be trusted" data-testid="trust-banner">
          <h2>{srmText ? "Sample ratio mismatch" : "Data quality"}</h2>
          {srmText && <p style={{ margin: 0 }}>{srmText}</p>}
          {results.dataQuality.length > 0 && (
            <ul aria-label="Data quality">
              {results.dataQuality.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
        </section>
      )}
      <div className="grid-2">
        <section className="panel" aria-label="Design">
          <h2>Design</h2>
          <dl className="facts">
            <dt>Hypothesis</dt>
            <dd>{e.hypothesis}</dd>
            <dt>Variants</dt>
            <dd>
              {e.variants.map((v) => (
                <span key={v.key} style={{ display: "block" }}>
                  {v.key}: <Link href={`/models/${v.versionId}`}>version {v.versionId}</Link>, {Math.round(v.weight * 1000) / 10}%
                </span>
              ))}
            </dd>
            <dt>Allocation</dt>
            <dd>
              coverage {Math.round(e.coverage * 100)}%{e.namespace ? ` of namespace ${e.namespace} [${e.namespaceStart}, ${e.namespaceEnd})` : ""}, hash seed{" "}
              <code>{e.seed}</code> (GrowthBook v2)
            </dd>
            {reachText && (
              <>
                <dt>Reach</dt>
                <dd data-testid="reach" className={reach.share === 0 ? "error" : undefined}>
                  {reachText}
                </dd>
              </>
            )}
            <dt>Metrics</dt>
            <dd>
              primary {e.primaryMetric}; secondary {e.secondaryMetrics.join(", ") || "—"}; guardrails {e.guardrailMetrics.join(", ") || "—"}
            </dd>
            <dt>Statistics</dt>
            <dd>
              α {e.alpha}, {e.sequential ? "sequential (always-valid intervals)" : "fixed horizon"}, correction {e.correction}
            </dd>
            <dt>Timeline</dt>
            <dd>
              created <Time value={e.createdAt} /> by {e.createdBy}
              {e.startedAt && (
                <>
                  ; started <Time value={e.startedAt} />
                </>
              )}
              {e.stoppedAt && (
                <>
                  ; stopped <Time value={e.stoppedAt} />
                </>
              )}
              {e.decidedAt && (
                <>
                  ; decided <Time value={e.decidedAt} /> by {e.decidedBy}: {e.shippedVariant ? `shipped ${e.shippedVariant}` : "nothing shipped"}
                </>
              )}
            </dd>
            {e.decisionNote && (
              <>
                <dt>Decision</dt>
                <dd data-testid="decision-note">{e.decisionNote}</dd>
              </>
            )}
          </dl>
        </section>
        <ExposuresChart rows={exposuresPerDay} variants={e.variants.map((v) => v.key)} />
      </div>

      {results ? (
        <>
          <section className="panel" aria-label="Results">
            <h2>Results</h2>
            <p>
              <span className={`badge ${results.srm.flagged ? "error" : "ok"}`} data-testid="srm">
                {results.srm.flagged ? "SRM detected" : "no SRM"}
              </span>{" "}
              <span className="muted">
                χ² {results.srm.chiSquare.toFixed(2)}, p {formatP(results.srm.pValue)} · analysed <Time value={new Date(results.computedAt)} />, data up to{" "}
                <Time value={new Date(results.asOf)} /> · users {results.variants.map((v) => `${v.key} ${v.users}`).join(", ")}
              </span>
            </p>
            <ScrollRegion label="Metrics">
              <table aria-label="Metrics">
                <thead>
                  <tr>
                    <th>Metric</th>
                    <th>Variant</th>
                    <th>Mean</th>
                    <th>Uplift</th>
                    <th>Interval (axis per metric)</th>
                    <th>p (adjusted)</th>
                    <th>Chance to beat control</th>
                    <th>Risk</th>
                    <th>CUPED</th>
                  </tr>
                </thead>
                <tbody>
                  {metrics.flatMap((m) =>
                    results.variants.map((v, i) => {
                      const r = v.metrics[m];
                      if (!r) return null;
                      const better = r.uplift && r.significant ? (direction.get(m) ?? 1) * r.uplift.relative > 0 : null;
                      return (
                        <tr key={`${m}-${v.key}`} data-testid={`metric-${m}-${v.key}`}>
                          <td>
                            {i === 0 ? (
                              <>
                                {label.get(m) ?? m}
                                {m === e.primaryMetric && <span className="badge running"> primary</span>}
                                {e.guardrailMetrics.includes(m) && <span className="badge warn"> guardrail</span>}
                              </>
                            ) : (
                              ""
                            )}
                          </td>
                          <td>{v.key}</td>
                          <td>{r.mean.toFixed(4)}</td>
                          <td>
                            {r.uplift ? (
                              <>
                                {formatPercent(r.uplift.relative)}{" "}
                                <span className="muted">
                                  [{formatPercent(r.uplift.ci[0])}, {formatPercent(r.uplift.ci[1])}]
                                </span>
                              </>
                            ) : (
                              <span className="muted">control</span>
                            )}
                          </td>
                          <td>
                            {r.uplift && (
                              <IntervalBar low={r.uplift.ci[0]} estimate={r.uplift.relative} high={r.uplift.ci[1]} axis={axes.get(m)!} better={better} />
                            )}
                          </td>
                          <td data-testid={`p-${m}-${v.key}`}>
                            {r.adjustedPValue !== undefined ? (
                              <>
                                {formatP(r.adjustedPValue)}
                                {r.significant && <strong> significant</strong>}
                              </>
                            ) : (
                              ""
                            )}
                          </td>
                          <td>
                            {r.chanceToBeatControl !== undefined ? (
                              <span
                                className={styles[chanceTone(r.chanceToBeatControl)]}
                                data-testid={`chance-${m}-${v.key}`}
                                data-tone={chanceTone(r.chanceToBeatControl)}
                              >
                                {(r.chanceToBeatControl * 100).toFixed(1)}%
                              </span>
                            ) : (
                              ""
                            )}
                          </td>
                          <td>{r.risk ? formatRisk(r.risk) : ""}</td>
                          <td>{i === 0 && r.varianceReduction !== undefined ? formatVarianceReduction(r.varianceReduction) : ""}</td>
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
        <section className="panel">
          <p className="muted">
            No analysis yet: the analyze pipeline runs after each ingestion (or <code>npm run job -- analyze</code>).
          </p>
        </section>
      )}
      {hasRole(operator.role, "operator") && (
        <ExperimentActions
          experimentKey={e.key}
          status={e.status}
          reach={e.status === "draft" ? reachText : null}
          variants={e.variants.map((v) => ({ key: v.key, versionId: v.versionId }))}
          warning={warning}
        />
      )}
    </>
  );
}
