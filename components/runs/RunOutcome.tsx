import Link from "next/link";
import type { ReactNode } from "react";
import { bestVersion, decisionText, type RunOutcome } from "@/server/monitoring/run-outcome";

/** What a run produced, on its page: a train run's versions and decision, an analysis's experiments, a demo's experiment and days. */
export function ProducedPanel({ outcome }: { outcome: RunOutcome }) {
  return (
    <section className="panel" aria-labelledby="produced-title" data-testid="produced">
      <h2 id="produced-title" style={{ marginTop: 0 }}>
        Produced
      </h2>
      {outcome.kind === "train" && <TrainProduced outcome={outcome} />}
      {outcome.kind === "analyze" &&
        (outcome.experiments === null ? (
          <p className="muted">No analysis yet.</p>
        ) : (
          <>
            <p>
              {outcome.experiments === 0
                ? "No running experiment to analyse."
                : `Analysed ${outcome.experiments} running experiment${outcome.experiments === 1 ? "" : "s"}.`}{" "}
              <Link href="/experiments">Experiments</Link>
            </p>
            {outcome.lines.length > 0 && (
              <ul>
                {outcome.lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
          </>
        ))}
      {outcome.kind === "demo" && (
        <p>
          {outcome.experiment ? (
            <>
              Experiment <Link href={`/experiments/${encodeURIComponent(outcome.experiment)}`}>{outcome.experiment}</Link>
            </>
          ) : (
            "No experiment started"
          )}
          {" · "}
          {outcome.days ? `day ${outcome.days.done} of ${outcome.days.total ?? "?"}` : "no day played"}
        </p>
      )}
    </section>
  );
}

function TrainProduced({ outcome }: { outcome: Extract<RunOutcome, { kind: "train" }> }) {
  if (outcome.versions.length === 0) return <p className="muted">No version registered{outcome.snapshotId ? ` (snapshot ${outcome.snapshotId})` : ""}.</p>;
  const best = bestVersion(outcome);
  return (
    <>
      <div style={{ overflowX: "auto" }}>
        <table aria-label="Versions registered">
          <thead>
            <tr>
              <th>Version</th>
              <th>Family</th>
              <th>NDCG@10 (test split)</th>
            </tr>
          </thead>
          <tbody>
            {outcome.versions.map((v) => (
              <tr key={v.id} className={v.id === best?.id ? "row-highlight" : undefined}>
                <td>
                  <Link href={`/models/${v.id}`}>v{v.id}</Link>
                </td>
                <td>{v.family}</td>
                <td>
                  {v.ndcg10.toFixed(4)}
                  {v.id === best?.id && <span className="muted"> · best</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p data-testid="decision">
        <strong>{decisionText(outcome)}</strong>
        {outcome.decision?.reason && <span>: {outcome.decision.reason}</span>}
      </p>
      <p className="muted">
        {outcome.snapshotId !== null && <>Trained on snapshot {outcome.snapshotId}. </>}
        {outcome.scored && (
          <>
            Stored the top 100 of version {outcome.scored.versionId} for {outcome.scored.users.toLocaleString("en-GB")} users.{" "}
          </>
        )}
        <Link href="/models">All model versions</Link>
      </p>
    </>
  );
}

/** The Runs list's columns of what runs of a pipeline concluded (ingestion has its rows instead). */
export const OUTCOME_COLUMNS: Record<string, string[]> = {
  train: ["Versions", "Best NDCG@10", "Decision"],
  analyze: ["Experiments analysed"],
  demo: ["Experiment", "Days"],
};

/** A run's conclusion in the Runs list: versions, best NDCG@10 and decision; experiments analysed; a demo's days. */
export function outcomeCells(outcome: RunOutcome | null): { key: string; value: ReactNode }[] {
  if (outcome?.kind === "train") {
    const best = bestVersion(outcome);
    return [
      { key: "versions", value: outcome.versions.length ? outcome.versions.map((v) => `v${v.id}`).join(", ") : "—" },
      { key: "best", value: best ? <Link href={`/models/${best.id}`}>{`${best.ndcg10.toFixed(4)} (${best.family})`}</Link> : "—" },
      { key: "decision", value: outcome.versions.length ? decisionText(outcome) : "—" },
    ];
  }
  if (outcome?.kind === "analyze") return [{ key: "experiments", value: outcome.experiments ?? "—" }];
  if (outcome?.kind === "demo")
    return [
      { key: "experiment", value: outcome.experiment ?? "—" },
      { key: "days", value: outcome.days ? `${outcome.days.done}/${outcome.days.total ?? "?"}` : "—" },
    ];
  return [];
}
