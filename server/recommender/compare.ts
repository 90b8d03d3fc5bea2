import type { Evaluation } from "./evaluate";
import { CUTOFFS } from "./ranking-metrics";

/** What the comparison reads of a version (see `versionDetail`). */
export interface ComparedVersion {
  id: number;
  family: string;
  aliases: string[];
  runId: number | null;
  snapshotId: number;
  codeVersion: string;
  params: Record<string, number>;
  metrics: Evaluation;
  training: { seconds: number; cpuSeconds: number; seed?: number };
  snapshot: { digest: string };
}

export interface ComparisonRow {
  section: "version" | "params" | "metrics";
  name: string;
  values: (string | number | null)[];
  /** each value minus the first version's, where both are numbers (null for the first column) */
  deltas: (number | null)[];
  differs: boolean;
}

export interface Comparison {
  /** every version was trained and measured on the same snapshot (the same contents) */
  sameSnapshot: boolean;
  snapshots: number[];
  rows: ComparisonRow[];
}

const NAMES = ["precision", "recall", "ndcg", "map", "hit"] as const;

function row(section: ComparisonRow["section"], name: string, values: (string | number | null)[]): ComparisonRow {
  const first = values[0];
  const deltas = values.map((v, k) => (k > 0 && typeof v === "number" && typeof first === "number" ? v - first : null));
  return { section, name, values, deltas, differs: values.some((v) => v !== first) };
}

/**
 * Several versions side by side, as MLflow's compare view: one column each, a row per fact, param and
 * metric, each number's delta to the first version and the rows where they differ.
 */
export function compareVersions(versions: ComparedVersion[]): Comparison {
  const digests = new Set(versions.map((v) => v.snapshot.digest));
  const snapshots = [...new Set(versions.map((v) => v.snapshotId))];
  const rows: ComparisonRow[] = [
    row(
      "version",
      "Family",
      versions.map((v) => v.family),
    ),
    row(
      "version",
      "Aliases",
      versions.map((v) => v.aliases.join(", ") || null),
    ),
    row(
      "version",
      "Train run",
      versions.map((v) => v.runId),
    ),
    row(
      "version",
      "Snapshot",
      versions.map((v) => `${v.snapshotId} (${v.snapshot.digest.slice(0, 12)}…)`),
    ),
    row(
      "version",
      "Code",
      versions.map((v) => v.codeVersion.slice(0, 12)),
    ),
    row(
      "version",
      "Seed",
      versions.map((v) => v.training.seed ?? null),
    ),
    row(
      "version",
      "Training time (s)",
      versions.map((v) => Number(v.training.seconds.toFixed(1))),
    ),
    row(
      "version",
      "Training CPU (s)",
      versions.map((v) => Number(v.training.cpuSeconds.toFixed(1))),
    ),
  ];
  const params = [...new Set(versions.flatMap((v) => Object.keys(v.params)))].sort();
  for (const p of params)
    rows.push(
      row(
        "params",
        p,
        versions.map((v) => v.params[p] ?? null),
      ),
    );
  const metric = (name: string, read: (e: Evaluation) => number) =>
    rows.push(
      row(
        "metrics",
        name,
        versions.map((v) => read(v.metrics)),
      ),
    );
  for (const k of CUTOFFS) for (const name of NAMES) metric(`${name}@${k}`, (e) => e.overall[`${name}@${k}`]);
  metric("NDCG@10, users with ≤ 5 tracks", (e) => e.segments.light["ndcg@10"]);
  metric("NDCG@10, other users", (e) => e.segments.regular["ndcg@10"]);
  metric("users evaluated", (e) => e.overall.users);
  metric("catalogue coverage (top 10)", (e) => e.coverage);
  metric("popularity bias (top 10)", (e) => e.popularityBias);
  return { sameSnapshot: digests.size === 1, snapshots, rows };
}
