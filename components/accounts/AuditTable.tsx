import type { AuditLog } from "@/server/db/generated/client";
import { EmptyState } from "@/components/layout/EmptyState";

import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export function AuditTable({ entries }: { entries: AuditLog[] }) {
  if (entries.length === 0) return <EmptyState title="Nothing audited yet" />;
  return (
    <div className="panel">
      <ScrollRegion label="Audit log">
        <table aria-label="Audit log">
          <thead>
            <tr>
              <th>When</th>
              <th>Action</th>
              <th>By</th>
              <th>Target</th>
              <th>Address</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={String(e.id)}>
                <td>
                  <Time value={e.at} />
                </td>
                <td>{e.action}</td>
                <td>{e.actorEmail ?? "system"}</td>
                <td>{e.target ?? ""}</td>
                <td>{e.ip ?? ""}</td>
                <td>
                  <code>{e.detail === null ? "" : JSON.stringify(e.detail)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </div>
  );
}
