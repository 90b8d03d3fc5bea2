import Link from "next/link";
import type { RouterOutputs } from "@/server/trpc/root";
import { ScrollRegion } from "@/components/layout/ScrollRegion";

type Quarantined = RouterOutputs["runs"]["quarantine"]["rows"][number];

/** Quarantined records with their reason and raw payload; `showRun` adds the run column when they span runs. */
export function QuarantinedRecords({ rows, showRun }: { rows: Quarantined[]; showRun?: boolean }) {
  return (
    <ScrollRegion label="Quarantined records">
      <table aria-label="Quarantined records">
        <thead>
          <tr>
            {showRun && <th>Run</th>}
            <th>Dataset</th>
            <th>Key</th>
            <th>Reason</th>
            <th>Payload</th>
            <th>Loaded later</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((q) => (
            <tr key={String(q.id)}>
              {showRun && (
                <td>
                  <Link href={`/runs/${q.runId}`}>{q.runId}</Link>
                </td>
              )}
              <td>{q.dataset}</td>
              <td>{q.recordKey ?? "—"}</td>
              <td>{q.reason}</td>
              <td>
                <Payload json={q.payload} />
              </td>
              <td>{q.resolvedRunId ? <Link href={`/runs/${q.resolvedRunId}`}>run {q.resolvedRunId}</Link> : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

const PREVIEW = 160;
const SHOWN = 20_000;

/** The raw record as JSON text: a preview, and the whole of it (up to SHOWN characters) on demand. */
function Payload({ json }: { json: string }) {
  if (json.length <= PREVIEW) return <code style={{ fontSize: 12 }}>{json}</code>;
  return (
    <details>
      <summary>
        <code style={{ fontSize: 12 }}>{json.slice(0, PREVIEW)}…</code>
      </summary>
      <pre className="payload">{json.slice(0, SHOWN)}</pre>
      {json.length > SHOWN && <p className="muted">{(json.length - SHOWN).toLocaleString("en")} more characters not shown</p>}
    </details>
  );
}
