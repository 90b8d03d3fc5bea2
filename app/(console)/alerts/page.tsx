import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { AcknowledgeAlertButton } from "@/components/alerts/AcknowledgeButton";

import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { Pagination } from "@/components/layout/Pagination";
import { StatusBadge } from "@/components/runs/StatusBadge";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { MAX_PAGE } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Alerts" };

const params = z.object({
  state: z.enum(["open", "acknowledged", "resolved"]).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(MAX_PAGE).catch(1).default(1),
});

export default async function AlertsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const operator = await requireOperator();
  const query = params.parse(await searchParams);
  const { total, alerts } = await (await serverCaller()).alerts.list({ state: query.state, page: query.page, pageSize: 25 });
  const canAck = hasRole(operator.role, "operator");
  return (
    <>
      <PageHead title="Alerts" subtitle="One alert per incident: a failed run, an ERROR check, a missed deadline, a slow run." />
      <nav className="tabs" aria-label="Alert state">
        <Link href="/alerts" aria-current={query.state ? undefined : "page"}>
          all
        </Link>
        {(["open", "acknowledged", "resolved"] as const).map((s) => (
          <Link key={s} href={`/alerts?state=${s}`} aria-current={query.state === s ? "page" : undefined}>
            {s}
          </Link>
        ))}
      </nav>
      {alerts.length === 0 ? (
        <EmptyState title={query.state ? `No ${query.state} alerts` : "No alerts yet"}>
          Alerts appear when a run fails, a check is ERROR, the daily deadline passes without a successful run, or a run is slow.
        </EmptyState>
      ) : (
        <ScrollRegion panel label="Alerts">
          <table aria-label="Alerts">
            <thead>
              <tr>
                <th>Opened</th>
                <th>State</th>
                <th>Alert</th>
                <th>Notifications</th>
                <th>Resolved</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={a.id} data-testid={`alert-${a.id}`}>
                  <td>
                    <Time value={a.openedAt} />
                  </td>
                  <td>
                    <StatusBadge status={a.state} />
                    {a.acknowledgedBy && <div className="muted">by {a.acknowledgedBy}</div>}
                  </td>
                  <td>
                    <strong>{a.title}</strong>
                    <div className="muted">{a.detail}</div>
                    {a.runId && <Link href={`/runs/${a.runId}`}>run {a.runId}</Link>}
                  </td>
                  <td>
                    {a.notifications.map((n) => (
                      <div key={n.id}>
                        {n.event}: <StatusBadge status={n.status} /> {n.attempts > 1 && <span className="muted">{n.attempts} tries</span>}
                        {n.lastError && <div className="error">{n.lastError}</div>}
                      </div>
                    ))}
                  </td>
                  <td>
                    <Time value={a.resolvedAt} />
                  </td>
                  <td>{canAck && a.state === "open" && <AcknowledgeAlertButton alertId={a.id} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={query.page} pageSize={25} total={total} path="/alerts" params={{ state: query.state }} />
        </ScrollRegion>
      )}
    </>
  );
}
