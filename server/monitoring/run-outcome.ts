import type { z } from "zod";
import type { Db } from "../db/client";
import { analyzeOutput, demoExperimentOutput } from "../experiments/outputs";
import type { TaskOutput } from "../pipeline/outputs";
import { versionNdcg10 } from "../recommender/evaluate";
import { promoteOutput, publishOutput, scoreOutput, snapshotOutput } from "../recommender/outputs";

/** What a train run produced: the versions it registered and what became of the best one. */
export interface TrainOutcome {
  kind: "train";
  snapshotId: number | null;
  versions: { id: number; family: string; ndcg10: number }[];
  /** the promote task's decision about the best candidate */
  decision: { best: number; promoted: boolean; reason: string } | null;
  /** the alias the publish task moved to the best candidate, once the run succeeded */
  published: "champion" | "challenger" | null;
  scored: { versionId: number; users: number } | null;
}

/** What an analyze run concluded: the experiments it recomputed, a line each. */
export interface AnalyzeOutcome {
  kind: "analyze";
  experiments: number | null;
  lines: string[];
}

/** What a demo run did: its experiment and the days it played. */
export interface DemoOutcome {
  kind: "demo";
  experiment: string | null;
  days: { done: number; total: number | null } | null;
}

export type RunOutcome = TrainOutcome | AnalyzeOutcome | DemoOutcome;

/** The outputs the console reads, by the task that writes each. */
const READ = [snapshotOutput, promoteOutput, scoreOutput, publishOutput, analyzeOutput, demoExperimentOutput];

/** The outcome of each of these runs whose pipeline concludes something (ingestion has its row counts instead). */
export async function runOutcomes(db: Db, runs: { id: number; pipeline: string }[]): Promise<Map<number, RunOutcome>> {
  const concluding = runs.filter((r) => r.pipeline === "train" || r.pipeline === "analyze" || r.pipeline === "demo");
  const ids = concluding.map((r) => r.id);
  if (ids.length === 0) return new Map();
  const [tasks, versions] = await Promise.all([
    db.taskRun.findMany({
      where: { runId: { in: ids }, task: { in: [...READ.map((o) => o.task), "days"] } },
      orderBy: [{ tryNumber: "asc" }],
      select: { runId: true, task: true, status: true, details: true, logs: true, pagesDone: true, pagesTotal: true },
    }),
    db.modelVersion.findMany({ where: { runId: { in: ids } }, orderBy: { id: "asc" }, select: { id: true, runId: true, family: true, metrics: true } }),
  ]);
  // The latest try of each task; only a successful one has concluded anything.
  const latest = new Map(tasks.map((t) => [`${t.runId}:${t.task}`, t]));
  const task = (runId: number, name: string) => latest.get(`${runId}:${name}`);
  /** A task's declared output, when its latest try succeeded and left one of that shape. */
  const outputOf = <S extends z.ZodObject>(runId: number, output: TaskOutput<S>): z.output<S> | null => {
    const t = task(runId, output.task);
    const parsed = t?.status === "success" ? output.schema.safeParse(t.details) : null;
    return parsed?.success ? parsed.data : null;
  };
  const outcomes = new Map<number, RunOutcome>();
  for (const run of concluding) {
    if (run.pipeline === "train") {
      const promote = outputOf(run.id, promoteOutput);
      const score = outputOf(run.id, scoreOutput);
      outcomes.set(run.id, {
        kind: "train",
        snapshotId: outputOf(run.id, snapshotOutput)?.snapshotId ?? null,
        versions: versions.filter((v) => v.runId === run.id).map((v) => ({ id: v.id, family: v.family, ndcg10: versionNdcg10(v) })),
        decision: promote && { best: promote.best, promoted: promote.promoted, reason: promote.decision },
        published: outputOf(run.id, publishOutput)?.alias ?? null,
        scored: score && { versionId: score.scoredVersion, users: score.users },
      });
    } else if (run.pipeline === "analyze") {
      const analyze = task(run.id, "analyze");
      outcomes.set(run.id, {
        kind: "analyze",
        experiments: outputOf(run.id, analyzeOutput)?.experiments ?? null,
        lines: analyze?.status === "success" ? analyze.logs : [],
      });
    } else {
      const days = task(run.id, "days");
      outcomes.set(run.id, {
        kind: "demo",
        experiment: outputOf(run.id, demoExperimentOutput)?.experiment ?? null,
        days: days && days.pagesTotal !== null ? { done: days.pagesDone, total: days.pagesTotal } : null,
      });
    }
  }
  return outcomes;
}

export async function runOutcome(db: Db, run: { id: number; pipeline: string }): Promise<RunOutcome | null> {
  return (await runOutcomes(db, [run])).get(run.id) ?? null;
}

/** The best version a train run registered (highest NDCG@10 on its test split). */
export function bestVersion(outcome: TrainOutcome): TrainOutcome["versions"][number] | null {
  return outcome.versions.reduce<TrainOutcome["versions"][number] | null>((a, b) => (a === null || b.ndcg10 > a.ndcg10 ? b : a), null);
}

/** The decision in a few words: promoted, kept (and as what), or not reached. */
export function decisionText(outcome: TrainOutcome): string {
  if (!outcome.decision) return outcome.versions.length ? "no decision" : "nothing registered";
  const { best, promoted } = outcome.decision;
  if (outcome.published === "champion") return `version ${best} promoted to champion`;
  if (outcome.published === "challenger")
    return promoted ? `version ${best} kept as challenger (the champion changed during the run)` : `champion kept; version ${best} is challenger`;
  return promoted ? `version ${best} to be promoted (not published: the run did not succeed)` : `champion kept; version ${best} not published`;
}

/** One line for logs and the CLI: what the run concluded. */
export function describeOutcome(outcome: RunOutcome): string {
  switch (outcome.kind) {
    case "train": {
      if (outcome.versions.length === 0) return "no version registered";
      const versions = outcome.versions.map((v) => `${v.family} v${v.id} NDCG@10 ${v.ndcg10.toFixed(4)}`).join(", ");
      const reason = outcome.decision?.reason ? ` (${outcome.decision.reason})` : "";
      return `registered ${versions}; ${decisionText(outcome)}${reason}`;
    }
    case "analyze":
      if (outcome.experiments === null) return "no analysis";
      return outcome.experiments === 0
        ? "no running experiment to analyse"
        : `analysed ${outcome.experiments} experiment${outcome.experiments === 1 ? "" : "s"}: ${outcome.lines.join("; ")}`;
    case "demo":
      return `${outcome.experiment ? `experiment ${outcome.experiment}` : "no experiment started"}; ${outcome.days ? `day ${outcome.days.done} of ${outcome.days.total ?? "?"}` : "no day played"}`;
  }
}
