import Link from "next/link";
import type { RouterOutputs } from "@/server/trpc/root";

type Quarantined = RouterOutputs["runs"]["quarantine"]["rows"][number];

/** Quarantined records with their reason and raw payload; `showRun` adds the run column when they span runs. */
export function QuarantinedRecords({ rows, showRun }: { rows: Quarantined[]; showRun?: boolean }) {
  return (
    <table aria-label="Quarantined records">
      <thead>
        <tr>
          {showRun && <th>Run</th>}
          <th>Dataset</th><th>Key</th><th>Reason</th><th>Payload</th><th>Loaded later</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((q) => (
          <tr key={String(q.id)}>
            {showRun && <td><Link href={`/runs/${q.runId}`}>{q.runId}</Link></td>}
            <td>{q.dataset}</td>
            <td>{q.recordKey ?? "—"}</td>
            <td>{q.reason}</td>
            <td><code style={{ fontSize: 12 }}>{JSON.stringify(q.payload).slice(0, 160)}</code></td>
            <td>{q.resolvedRunId ? <Link href={`/runs/${q.resolvedRunId}`}>run {q.resolvedRunId}</Link> : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
