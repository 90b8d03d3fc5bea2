import Link from "next/link";
import type { ReactNode } from "react";
import { formatSize } from "@/components/format";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";
import { StatusBadge } from "@/components/runs/StatusBadge";
import type { RetentionTaskReport, RetentionTry } from "@/server/data/retention";
import type { RouterOutputs } from "@/server/trpc/root";

type Report = RouterOutputs["data"]["retention"];
type LakeOutput = NonNullable<Report["lake"]["task"]["last"]>["output"] & {};
type TrainOutput = NonNullable<Report["train"]["task"]["last"]>["output"] & {};
type FeedbackOutput = NonNullable<Report["feedback"]["task"]["last"]>["output"] & {};

const plural = (n: number, word: string) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;
const RUNS_LISTED = 12;

/** Links to runs or versions, the first RUNS_LISTED of them. */
function IdLinks({ ids, path, word }: { ids: number[]; path: string; word: string }) {
  if (ids.length === 0) return <>none</>;
  return (
    <>
      {ids.slice(0, RUNS_LISTED).map((id, i) => (
        <span key={id}>
          {i > 0 && ", "}
          <Link href={`${path}/${id}`}>
            {word} {id}
          </Link>
        </span>
      ))}
      {ids.length > RUNS_LISTED && <span className="muted"> and {ids.length - RUNS_LISTED} more</span>}
    </>
  );
}

const RunLink = ({ runId, tryNumber }: { runId: number; tryNumber: number }) => (
  <Link href={`/runs/${runId}`}>
    run {runId}
    {tryNumber > 1 ? `, try ${tryNumber}` : ""}
  </Link>
);

/**
 * What a retention task did last, never older figures as current: a failed or running last try is said
 * first, and the last success that follows is labelled with its own run and time.
 */
function TaskState<T>({
  task,
  pipeline,
  report,
  figures,
}: {
  task: string;
  pipeline: string;
  report: RetentionTaskReport<T>;
  figures: (output: T) => ReactNode;
}) {
  const { last, lastSuccess, notStarted } = report;
  const done = (t: RetentionTry<T>) =>
    t.output ? figures(t.output) : <p className="error">It succeeded but its recorded output cannot be read{t.outputError ? `: ${t.outputError}` : ""}.</p>;
  return (
    <>
      {last === null && (
        <p role="status">
          <span className="badge">never ran</span> No {pipeline} run has run <code>{task}</code> yet, so it has deleted nothing.
        </p>
      )}
      {last?.status === "failed" && (
        <div role="status">
          <p>
            <StatusBadge status="failed" /> Its last try failed: <RunLink runId={last.runId} tryNumber={last.tryNumber} />, <Time value={last.finishedAt} />.
          </p>
          <pre className="log">{last.error ?? "no error was recorded"}</pre>
        </div>
      )}
      {last?.status === "running" && (
        <p role="status">
          <StatusBadge status="running" /> Running now in <RunLink runId={last.runId} tryNumber={last.tryNumber} />, since <Time value={last.startedAt} />.
        </p>
      )}
      {last?.status === "success" && (
        <>
          <p>
            <StatusBadge status="success" /> Last ran in <RunLink runId={last.runId} tryNumber={last.tryNumber} />, finished <Time value={last.finishedAt} />.
          </p>
          {done(last)}
        </>
      )}
      {lastSuccess && (
        <details>
          <summary>
            Earlier, the last success: <RunLink runId={lastSuccess.runId} tryNumber={lastSuccess.tryNumber} />, <Time value={lastSuccess.finishedAt} />
          </summary>
          {done(lastSuccess)}
        </details>
      )}
      {last !== null && last.status !== "success" && !lastSuccess && <p className="muted">It has never succeeded.</p>}
      {notStarted && (
        <p className="muted">
          {plural(notStarted.runs, last ? "later run" : "run")} did not reach it; the latest,{" "}
          <Link href={`/runs/${notStarted.latest.runId}`}>run {notStarted.latest.runId}</Link> ({notStarted.latest.runStatus}):{" "}
          {notStarted.latest.taskStatus === "queued" ? "waiting for the tasks before it" : (notStarted.latest.reason ?? notStarted.latest.taskStatus)}.
        </p>
      )}
    </>
  );
}

function LakeFigures({ output }: { output: LakeOutput }) {
  return (
    <dl className="facts">
      <dt>Deleted</dt>
      <dd>
        {plural(output.deletedFiles, "file")} landed before {output.cutoffDay}
      </dd>
      <dt>Of runs</dt>
      <dd>
        <IdLinks ids={output.prunedRuns} path="/runs" word="run" />
      </dd>
      <dt>Kept</dt>
      <dd>
        the pages of {plural(output.neededRuns.length, "run")} whatever their age (the window's, replays' sources, kept snapshots' ingestions):{" "}
        <IdLinks ids={output.neededRuns} path="/runs" word="run" />
      </dd>
    </dl>
  );
}

function TrainFigures({ output }: { output: TrainOutput }) {
  const { batchScores, snapshots } = output;
  return (
    <dl className="facts">
      <dt>Batch scores deleted</dt>
      <dd>
        {plural(batchScores.rows, "row")}
        {batchScores.prunedVersions.length > 0 && (
          <>
            {" "}
            of <IdLinks ids={batchScores.prunedVersions} path="/models" word="version" />
          </>
        )}
      </dd>
      <dt>Scores kept for</dt>
      <dd>
        <IdLinks ids={batchScores.keptVersions} path="/models" word="version" />
      </dd>
      <dt>Snapshot files</dt>
      <dd>
        {plural(snapshots.deleted, "file")} deleted, {plural(snapshots.kept, "file")} kept
      </dd>
    </dl>
  );
}

/** The months newest first, then the default partition. */
const newestFirst = <T extends { month: string | null }>(partitions: T[]) => [
  ...partitions.filter((p) => p.month !== null).reverse(),
  ...partitions.filter((p) => p.month === null),
];

function FeedbackFigures({ output }: { output: FeedbackOutput }) {
  const names = (list: string[]) => (list.length ? list.map((name) => name.replace("feedback_events_", "").replace("_", "-")).join(", ") : "none");
  return (
    <dl className="facts">
      <dt>Cutoff</dt>
      <dd>
        events before <Time value={new Date(output.cutoff)} />
        {output.heldBy && <> (held back by experiment {output.heldBy}, not yet decided)</>}
      </dd>
      <dt>Months dropped</dt>
      <dd>{names(output.dropped)}</dd>
      <dt>From the default partition</dt>
      <dd>{plural(output.deletedFromDefault, "event")} deleted</dd>
      <dt>Months made</dt>
      <dd>{names(output.created)}</dd>
    </dl>
  );
}

function Card({ label, value, sub }: { label: string; value: ReactNode; sub?: ReactNode }) {
  return (
    <div className="card">
      <div className="label">{label}</div>
      <div className="value">{value}</div>
      {sub && <div className="sub">{sub}</div>}
    </div>
  );
}

/** The Data page's retention section: the policy, the last tries of the two retention tasks, and what is stored now. */
export function Retention({ report }: { report: Report }) {
  const { policy, lake, train, feedback } = report;
  const scoreRows = train.batchScores.reduce((n, v) => n + v.rows, 0);
  return (
    <section aria-labelledby="retention-heading">
      <h2 id="retention-heading" style={{ marginTop: 0 }}>
        Retention
      </h2>
      <p className="muted">
        Raw pages are kept {plural(policy.lakeKeepDays, "day")} and training snapshot files {plural(policy.snapshotKeepDays, "day")} (
        <code>LAKE_KEEP_DAYS</code>); older ones are deleted by the ingest run's <code>lake-retention</code> task and the train run's <code>retention</code>{" "}
        task, except what a kept replay, version or experiment still needs. Batch scores are kept for the versions that can still be served or judged. Feedback
        events are kept {plural(policy.feedbackKeepDays, "day")} (<code>FEEDBACK_KEEP_DAYS</code>), a partition per month dropped whole by the analyze run's{" "}
        <code>feedback-partitions</code> task, never a month an experiment not yet decided reads; dislikes never expire.
      </p>

      <div className="cards" role="group" aria-label="Kept now">
        <Card label="Raw pages kept for" value={plural(policy.lakeKeepDays, "day")} />
        <Card label="Snapshots kept for" value={plural(policy.snapshotKeepDays, "day")} />
        {lake.stored.ok ? (
          <>
            <Card
              label="Lake now"
              value={formatSize(lake.stored.value.bytes)}
              sub={`${plural(lake.stored.value.files, "file")} over ${plural(lake.stored.value.days.length, "day")}`}
            />
            <Card label="Oldest day kept" value={lake.stored.value.oldestDay ?? "—"} sub={lake.stored.value.oldestDay ? "raw pages" : "the lake is empty"} />
          </>
        ) : (
          <Card label="Lake now" value="—" sub={<span className="error">cannot read the store: {lake.stored.error}</span>} />
        )}
        {train.snapshots.ok ? (
          <Card
            label="Snapshots now"
            value={formatSize(train.snapshots.value.bytes)}
            sub={
              <>
                {plural(train.snapshots.value.files, "file")}
                {train.snapshots.value.oldestTakenAt && (
                  <>
                    , oldest taken <Time value={train.snapshots.value.oldestTakenAt} />
                  </>
                )}
              </>
            }
          />
        ) : (
          <Card label="Snapshots now" value="—" sub={<span className="error">cannot read the store: {train.snapshots.error}</span>} />
        )}
        <Card label="Batch scores now" value={scoreRows.toLocaleString("en")} sub={`rows of ${plural(train.batchScores.length, "version")}`} />
      </div>

      <div className="grid-2">
        <section className="panel" aria-label="Raw pages: lake-retention">
          <h3 style={{ marginTop: 0 }}>
            Raw pages: <code>lake-retention</code>
          </h3>
          <TaskState task="lake-retention" pipeline="ingest" report={lake.task} figures={(output) => <LakeFigures output={output} />} />
        </section>
        <section className="panel" aria-label="Snapshots and batch scores: retention">
          <h3 style={{ marginTop: 0 }}>
            Snapshots and batch scores: <code>retention</code>
          </h3>
          <TaskState task="retention" pipeline="train" report={train.task} figures={(output) => <TrainFigures output={output} />} />
        </section>
      </div>

      <div className="grid-2">
        <section className="panel" aria-label="Batch scores by version">
          <h3 style={{ marginTop: 0 }}>Batch scores by version</h3>
          {train.batchScores.length === 0 ? (
            <p className="muted">No version has batch scores.</p>
          ) : (
            <ScrollRegion label="Batch scores by version">
              <table aria-label="Batch scores by version">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Family</th>
                    <th>Alias</th>
                    <th>Rows</th>
                  </tr>
                </thead>
                <tbody>
                  {train.batchScores.map((v) => (
                    <tr key={v.versionId}>
                      <td>
                        <Link href={`/models/${v.versionId}`}>{v.versionId}</Link>
                      </td>
                      <td>{v.family}</td>
                      <td>{v.aliases.join(", ") || "—"}</td>
                      <td>{v.rows.toLocaleString("en")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          )}
        </section>
        <section className="panel" aria-label="Raw pages by day">
          <h3 style={{ marginTop: 0 }}>Raw pages by day</h3>
          {!lake.stored.ok ? (
            <p className="error">The store cannot be read: {lake.stored.error}</p>
          ) : lake.stored.value.days.length === 0 ? (
            <p className="muted">The lake holds no raw pages.</p>
          ) : (
            <ScrollRegion label="Raw pages by day">
              <table aria-label="Raw pages by day">
                <thead>
                  <tr>
                    <th>Day</th>
                    <th>Files</th>
                    <th>Size</th>
                    <th>Runs</th>
                  </tr>
                </thead>
                <tbody>
                  {[...lake.stored.value.days].reverse().map((d) => (
                    <tr key={d.day}>
                      <td style={{ whiteSpace: "nowrap" }}>{d.day}</td>
                      <td>{d.files.toLocaleString("en")}</td>
                      <td>{formatSize(d.bytes)}</td>
                      <td>
                        <IdLinks ids={d.runs} path="/runs" word="run" />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          )}
        </section>
      </div>

      <div className="grid-2">
        <section className="panel" aria-label="Feedback events: feedback-partitions">
          <h3 style={{ marginTop: 0 }}>
            Feedback events: <code>feedback-partitions</code>
          </h3>
          <TaskState task="feedback-partitions" pipeline="analyze" report={feedback.task} figures={(output) => <FeedbackFigures output={output} />} />
        </section>
        <section className="panel" aria-label="Feedback events by month">
          <h3 style={{ marginTop: 0 }}>Feedback events by month</h3>
          <ScrollRegion label="Feedback events by month">
            <table aria-label="Feedback events by month">
              <thead>
                <tr>
                  <th>Month</th>
                  <th>Events (estimate)</th>
                  <th>Size</th>
                </tr>
              </thead>
              <tbody>
                {newestFirst(feedback.partitions).map((p) => (
                  <tr key={p.name}>
                    <td style={{ whiteSpace: "nowrap" }}>{p.month ?? "default (months without a partition)"}</td>
                    <td>{p.rowsEstimate.toLocaleString("en")}</td>
                    <td>{formatSize(p.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
          <p className="muted">Estimates are PostgreSQL's, as of its last analyze of each month.</p>
        </section>
      </div>
    </section>
  );
}
