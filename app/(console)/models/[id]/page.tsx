import type { Metadata } from "next";
import Link from "next/link";
import { AliasBadge, ChallengerLegend } from "@/components/models/AliasBadge";
import { notFound } from "next/navigation";
import { Fragment } from "react";
import { formatBytes, formatUtc } from "@/components/format";
import { PageHead } from "@/components/layout/EmptyState";
import { AliasForm } from "@/components/models/ModelActions";
import { TrainingCurve } from "@/components/models/ModelCharts";
import { MetricsTable } from "@/components/models/MetricsTable";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { pathId } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import type { Evaluation } from "@/server/recommender/evaluate";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Model version" };

export default async function VersionPage({ params }: { params: Promise<{ id: string }> }) {
  const operator = await requireOperator();
  const id = pathId((await params).id);
  if (id === null) notFound();
  const caller = await serverCaller();
  const v = await caller.models.get({ versionId: id }).catch(() => null);
  if (!v) notFound();
  const canAct = hasRole(operator.role, "operator");
  const isChampion = v.aliases.includes("champion");
  const baseline = "overall" in v.baseline ? (v.baseline as Evaluation) : null;
  return (
    <>
      <PageHead title={`Model version ${v.id}`} subtitle={`${v.family} · trained ${formatUtc(v.createdAt)}`}>
        <span className="toolbar">
          {v.aliases.map((a) => (
            <AliasBadge key={a} alias={a} />
          ))}
        </span>
      </PageHead>
      {v.aliases.includes("challenger") && <ChallengerLegend />}
      {v.decision && (
        <p className="notice" role="note">
          Promotion: {v.decision}
        </p>
      )}
      <div className="grid-2">
        <section className="panel" aria-label="Lineage">
          <h2>Lineage</h2>
          <dl className="facts">
            <dt>Train run</dt>
            <dd>{v.runId ? <Link href={`/runs/${v.runId}`}>run {v.runId}</Link> : "—"}</dd>
            <dt>Snapshot</dt>
            <dd>
              {v.snapshot.id} · {v.snapshot.users} users, {v.snapshot.tracks} tracks, {v.snapshot.listens} listens ·{" "}
              <code>{v.snapshot.digest.slice(0, 16)}…</code>
            </dd>
            <dt>Ingestion run</dt>
            <dd>{v.snapshot.ingestionRunId ? <Link href={`/runs/${v.snapshot.ingestionRunId}`}>run {v.snapshot.ingestionRunId}</Link> : "—"}</dd>
            <dt>Newest listen</dt>
            <dd>
              <Time value={v.snapshot.newestListenAt} />
            </dd>
            <dt>Code</dt>
            <dd>
              <code>{v.codeVersion.slice(0, 12)}</code>
            </dd>
            <dt>Artefact</dt>
            <dd>
              {v.artefact.prunedAt ? (
                <>
                  pruned <Time value={v.artefact.prunedAt} />
                </>
              ) : (
                `${formatBytes(v.artefact.bytes)} · sha256 ${v.artefact.digest.slice(0, 16)}…`
              )}
            </dd>
            <dt>Training</dt>
            <dd>
              {v.training.seconds.toFixed(1)} s, {v.training.cpuSeconds.toFixed(1)} CPU s, peak {formatBytes(v.training.peakRssBytes)}
            </dd>
            {v.training.imported && (
              <>
                <dt>Trained outside Encore</dt>
                <dd>
                  by {v.training.imported.trainer.name}
                  {v.training.imported.trainer.version ? ` ${v.training.imported.trainer.version}` : ""}, imported from <code>{v.training.imported.from}</code>
                  {v.training.imported.tracksWithoutFactors > 0 && ` · ${v.training.imported.tracksWithoutFactors} tracks without factors (scored 0)`}
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="panel" aria-label="Hyperparameters">
          <h2>Hyperparameters</h2>
          <dl className="facts">
            {Object.entries(v.params).map(([name, value]) => (
              <Fragment key={name}>
                <dt>{name}</dt>
                <dd>{value}</dd>
              </Fragment>
            ))}
          </dl>
          <h3>Tried on the validation split</h3>
          <ScrollRegion label="Tuning">
            <table aria-label="Tuning">
              <thead>
                <tr>
                  <th>Parameters</th>
                  <th>NDCG@10</th>
                </tr>
              </thead>
              <tbody>
                {v.training.tuning.map((t, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: the trials are a fixed list in grid order
                  <tr key={i}>
                    <td>
                      <code>
                        {Object.entries(t.params)
                          .map(([k, x]) => `${k}=${x}`)
                          .join(", ")}
                      </code>
                    </td>
                    <td>{t.ndcg10.toFixed(4)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </section>
      </div>
      <section className="panel" aria-label="Offline metrics">
        <h2>Offline metrics on the test split</h2>
        <MetricsTable
          label="Metrics"
          columns={[
            { title: `v${v.id} ${v.family}`, evaluation: v.metrics },
            { title: "popularity, same split", evaluation: baseline },
          ]}
        />
      </section>
      {v.training.curve && v.training.curve.length > 0 && <TrainingCurve curve={v.training.curve} />}
      {canAct && (
        <section className="panel" aria-label="Champion">
          <h2>Champion</h2>
          {isChampion ? (
            <AliasForm versionId={v.id} mode="rollback" />
          ) : v.artefact.prunedAt ? (
            <p className="muted">Its artefact was pruned: it cannot be served.</p>
          ) : (
            <AliasForm versionId={v.id} mode="promote" />
          )}
        </section>
      )}
    </>
  );
}
