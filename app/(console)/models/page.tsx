import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";

import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { Pagination } from "@/components/layout/Pagination";
import { ChampionCards } from "@/components/models/ChampionCards";
import { AliasBadge, ChallengerLegend } from "@/components/models/AliasBadge";
import { TrainNowButton } from "@/components/models/ModelActions";
import { OnlineChart, QualityChart } from "@/components/models/ModelCharts";
import { requireOperator } from "@/server/auth/page-guard";
import { hasRole } from "@/server/auth/roles";
import { MAX_PAGE } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Models" };

const params = z.object({ page: z.coerce.number().int().min(1).max(MAX_PAGE).catch(1).default(1) });
const PAGE_SIZE = 25;
const num = (v: number | null, digits = 4) => (v === null ? "—" : v.toFixed(digits));

export default async function ModelsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const operator = await requireOperator();
  const { page } = params.parse(await searchParams);
  const caller = await serverCaller();
  const [{ total, versions }, quality, summary, online] = await Promise.all([
    caller.models.list({ page, pageSize: PAGE_SIZE }),
    caller.models.quality(),
    caller.models.champion(),
    caller.models.online(),
  ]);
  const { champion } = summary;
  return (
    <>
      <PageHead title="Models" subtitle="Model versions, their offline quality on each run's test split, and the champion that is served.">
        {hasRole(operator.role, "operator") && <TrainNowButton />}
      </PageHead>
      <ChampionCards summary={summary} />
      <div className="grid-2">
        <QualityChart data={quality} />
        <OnlineChart data={online} />
      </div>
      {versions.length === 0 ? (
        <EmptyState title="No model trained yet">Train now, or wait for the scheduler: it trains after every successful ingestion.</EmptyState>
      ) : (
        <form className="panel" style={{ overflowX: "auto" }} method="get" action="/models/compare" aria-label="Compare versions">
          <p className="toolbar">
            <button type="submit">Compare selected</button>
            <span className="muted">Tick 2 to 6 versions: one column each, deltas to the first.</span>
          </p>
          <table aria-label="Model versions">
            <thead>
              <tr>
                <th>Compare</th>
                <th>Version</th>
                <th>Family</th>
                <th>Created</th>
                <th>Snapshot</th>
                <th>NDCG@10</th>
                <th>Recall@20</th>
                <th>Coverage</th>
                <th>Lift over popularity</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.id} data-testid={`version-${v.id}`}>
                  <td>
                    <input type="checkbox" name="v" value={v.id} aria-label={`compare version ${v.id}`} />
                  </td>
                  <td>
                    <Link href={`/models/${v.id}`}>v{v.id}</Link>
                  </td>
                  <td>{v.family}</td>
                  <td>
                    <Time value={v.createdAt} />
                  </td>
                  <td>{v.snapshotId}</td>
                  <td>{num(v.ndcg10)}</td>
                  <td>{num(v.recall20)}</td>
                  <td>{num(v.coverage, 3)}</td>
                  <td>{v.lift === null ? "—" : `${v.lift.toFixed(2)}×`}</td>
                  <td>
                    {v.aliases.map((a) => (
                      <AliasBadge key={a} alias={a} />
                    ))}
                    {v.aliases.length === 0 && (v.pruned ? <span className="muted">pruned</span> : <span className="muted">candidate</span>)}
                  </td>
                  <td>{champion && champion.id !== v.id && <Link href={`/models/compare?v=${champion.id}&v=${v.id}`}>compare with champion</Link>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {versions.some((v) => v.aliases.includes("challenger")) && <ChallengerLegend />}
          <Pagination page={page} pageSize={PAGE_SIZE} total={total} path="/models" params={{}} />
        </form>
      )}
    </>
  );
}
