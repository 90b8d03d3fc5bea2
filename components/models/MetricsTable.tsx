import type { Evaluation } from "@/server/recommender/evaluate";
import { CUTOFFS } from "@/server/recommender/ranking-metrics";
import { ScrollRegion } from "@/components/layout/ScrollRegion";

const NAMES = ["precision", "recall", "ndcg", "map", "hit"] as const;

/** Metrics at 10 and 20, overall and by segment, for one or more evaluations side by side. */
export function MetricsTable({ label, columns }: { label: string; columns: { title: string; evaluation: Evaluation | null }[] }) {
  const rows: { name: string; values: (number | null)[] }[] = [];
  for (const k of CUTOFFS)
    for (const name of NAMES) rows.push({ name: `${name}@${k}`, values: columns.map((c) => c.evaluation?.overall[`${name}@${k}`] ?? null) });
  for (const segment of ["light", "regular"] as const)
    rows.push({
      name: `NDCG@10, ${segment === "light" ? "users with ≤ 5 tracks" : "other users"}`,
      values: columns.map((c) => c.evaluation?.segments[segment]["ndcg@10"] ?? null),
    });
  rows.push({ name: "users evaluated", values: columns.map((c) => c.evaluation?.overall.users ?? null) });
  rows.push({ name: "catalogue coverage (top 10)", values: columns.map((c) => c.evaluation?.coverage ?? null) });
  rows.push({ name: "popularity bias (top 10)", values: columns.map((c) => c.evaluation?.popularityBias ?? null) });
  return (
    <ScrollRegion label={label}>
      <table aria-label={label}>
        <thead>
          <tr>
            <th>Metric</th>
            {columns.map((c) => (
              <th key={c.title}>{c.title}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name}>
              <td>{r.name}</td>
              {r.values.map((v, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: one cell per column, in the columns' fixed order
                <td key={i}>{v === null ? "—" : Number.isInteger(v) ? v : v.toFixed(4)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
