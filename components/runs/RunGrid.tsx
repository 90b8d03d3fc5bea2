import Link from "next/link";
import type { runGrid } from "@/server/monitoring/runs";
import { formatUtc } from "@/components/format";

type Grid = Awaited<ReturnType<typeof runGrid>>;

/** Tasks (rows) by recent runs (columns, oldest left); each cell opens that task's latest try. */
export function RunGrid({ grid }: { grid: Grid }) {
  return (
    <div className="grid-wrap panel">
      <table className="run-grid" aria-label="Tasks by run">
        <thead>
          <tr>
            <th scope="col">task \ run</th>
            {grid.runs.map((run) => (
              <th key={run.id} scope="col">
                <Link href={`/runs/${run.id}`} title={`run ${run.id} · ${run.status} · ${formatUtc(run.createdAt)}`}>
                  {run.id}
                </Link>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {grid.tasks.map((task) => (
            <tr key={task}>
              <th scope="row">{task}</th>
              {grid.runs.map((run) => {
                const cell = run.cells[task];
                if (!cell) return <td key={run.id}><span className="cell" title="not part of this run" /></td>;
                const label = `${task} in run ${run.id}: ${cell.status} (try ${cell.tryNumber})`;
                return (
                  <td key={run.id}>
                    <Link className={`cell ${cell.status}`} href={`/runs/${run.id}?task=${encodeURIComponent(task)}&try=${cell.tryNumber}`} title={label} aria-label={label} />
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
