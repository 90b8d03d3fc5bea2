import { formatDuration } from "@/components/format";

interface Try {
  id: number;
  task: string;
  tryNumber: number;
  status: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  pagesDone: number;
  pagesTotal: number | null;
}

/** Each task try as a bar on the run's time axis (Gantt-like); running tries grow until now. */
export function Timeline({ tries, now }: { tries: Try[]; now: Date }) {
  const started = tries.filter((t) => t.startedAt);
  if (started.length === 0) return <p className="muted">No task has started yet.</p>;
  const t0 = Math.min(...started.map((t) => t.startedAt!.getTime()));
  const t1 = Math.max(...started.map((t) => (t.finishedAt ?? now).getTime()), t0 + 1);
  const span = t1 - t0;
  return (
    <div className="gantt" role="group" aria-label="Timeline">
      {tries.map((t) => {
        const start = t.startedAt?.getTime();
        const end = (t.finishedAt ?? now).getTime();
        const seconds = start === undefined ? null : (end - start) / 1000;
        return (
          <div className="gantt-row" key={t.id}>
            <a href={`#try-${t.id}`}>
              {t.task} <span className="muted">#{t.tryNumber}</span>
            </a>
            <div className="gantt-track">
              {start !== undefined && (
                <span
                  className={`gantt-bar ${t.status}`}
                  style={{ left: `${((start - t0) / span) * 100}%`, width: `${Math.max(0.5, ((end - start) / span) * 100)}%` }}
                  title={`${t.task} try ${t.tryNumber}: ${t.status}, ${formatDuration(seconds)}`}
                />
              )}
            </div>
            <span className="muted">{t.status === "running" && t.pagesTotal ? `${t.pagesDone}/${t.pagesTotal} pages` : formatDuration(seconds)}</span>
          </div>
        );
      })}
    </div>
  );
}
