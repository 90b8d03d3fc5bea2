import Link from "next/link";
import type { Comparison, ComparisonRow } from "@/server/recommender/compare";

const SECTIONS: { key: ComparisonRow["section"]; title: string }[] = [
  { key: "version", title: "Version" },
  { key: "params", title: "Parameters" },
  { key: "metrics", title: "Metrics (test split)" },
];

const format = (value: string | number | null) =>
  value === null ? "—" : typeof value === "string" || Number.isInteger(value) ? String(value) : value.toFixed(4);
const signed = (delta: number) => `${delta > 0 ? "+" : delta < 0 ? "−" : "±"}${format(Math.abs(delta))}`;

/** Versions side by side in one table, as MLflow compares runs: a column each, deltas to the first, differing rows marked. */
export function CompareTable({ ids, comparison }: { ids: number[]; comparison: Comparison }) {
  return (
    <div className="panel" style={{ overflowX: "auto" }}>
      <p className="muted">Deltas are to v{ids[0]}; rows where the versions differ are outlined and marked “differs”.</p>
      <table aria-label="Versions compared">
        <thead>
          <tr>
            <th scope="col">Version</th>
            {ids.map((id, k) => (
              <th key={id} scope="col">
                <Link href={`/models/${id}`}>v{id}</Link>
                {k === 0 && <span className="muted"> (base)</span>}
              </th>
            ))}
          </tr>
        </thead>
        {SECTIONS.map((section) => {
          const rows = comparison.rows.filter((r) => r.section === section.key);
          if (rows.length === 0) return null;
          return (
            <tbody key={section.key}>
              <tr>
                <th scope="colgroup" colSpan={ids.length + 1}>
                  {section.title}
                </th>
              </tr>
              {rows.map((r) => (
                <tr key={r.name} className={r.differs ? "row-highlight" : undefined} data-differs={r.differs ? "true" : "false"}>
                  <th scope="row" style={{ fontWeight: "normal", textAlign: "left" }}>
                    {r.name}
                    {r.differs && <span className="muted"> · differs</span>}
                  </th>
                  {r.values.map((value, k) => (
                    <td key={ids[k]}>
                      {format(value)}
                      {r.deltas[k] !== null && r.deltas[k] !== 0 && <span className="muted"> ({signed(r.deltas[k]!)})</span>}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          );
        })}
      </table>
    </div>
  );
}
