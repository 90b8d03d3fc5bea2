import Link from "next/link";
import type { runGrid } from "@/server/monitoring/runs";
import { formatDuration, formatUtc, secondsBetween } from "@/components/format";

type Grid = Awaited<ReturnType<typeof runGrid>>;

/** Height of the tallest duration bar, in pixels. */
const BAR_HEIGHT = 48;

/**
 * Tasks (rows) by recent runs (columns, oldest left), each column topped by a bar as tall as the
 * run's duration (as in Airflow's grid); each cell opens that task's latest try.
 */
export function RunGrid({ grid, now }: { grid: Grid; now: Date }) {
  const durations = grid.runs.map((run) => secondsBetween(run.startedAt, run.finishedAt ?? (run.status === "running" ? now : null)));
  const longest = Math.max(0, ...durations.map((d) => d ?? 0));
  return (
    <div className="grid-wrap panel">
      <table className="run-grid" aria-label="Tasks by run">
        <thead>
          <tr data-testid="duration-bars">
            <th scope="row" className="muted">
              duration
              <br />
              (longest {formatDuration(longest)})
            </th>
            {grid.runs.map((run, k) => {
              const seconds = durations[k] ?? null;
              const label = `run ${run.id}: ${run.status}, ${formatDuration(seconds)}`;
              return (
                <td key={run.id} style={{ verticalAlign: "bottom" }}>
                  <Link
                    href={`/runs/${run.id}`}
                    title={label}
                    aria-label={label}
                    className={`cell ${run.status}`}
                    style={{ height: longest > 0 && seconds !== null ? Math.max(2, Math.round((seconds / longest) * BAR_HEIGHT)) : 2 }}
                  />
                </td>
              );
            })}
          </tr>
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
                if (!cell)
                  return (
                    <td key={run.id}>
                      <span className="cell" title="not part of this run" />
                    </td>
                  );
                const label = `${task} in run ${run.id}: ${cell.status} (try ${cell.tryNumber})`;
                return (
                  <td key={run.id}>
                    <Link
                      className={`cell ${cell.status}`}
                      href={`/runs/${run.id}?task=${encodeURIComponent(task)}&try=${cell.tryNumber}`}
                      title={label}
                      aria-label={label}
                    />
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
