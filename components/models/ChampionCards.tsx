import Link from "next/link";
import { formatAge } from "@/components/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { Time } from "@/components/layout/TimeZone";

const num = (v: number | null) => (v === null ? "—" : v.toFixed(4));

/** The served model and the latest train run: on the Overview and the Models page. */
export function ChampionCards({ summary: { champion, lastRun } }: { summary: RouterOutputs["models"]["champion"] }) {
  const now = Date.now();
  return (
    <section className="cards" aria-label="Champion">
      <div className="card" data-testid="champion">
        <div className="label">Champion</div>
        {champion ? (
          <>
            <div className="value">
              <Link href={`/models/${champion.id}`}>
                v{champion.id} · {champion.family}
              </Link>
            </div>
            <div className="sub">
              NDCG@10 {num(champion.ndcg10)}
              {champion.lift !== null && ` · ${champion.lift.toFixed(2)}× popularity`} · since {formatAge((now - champion.since.getTime()) / 1000)}
            </div>
          </>
        ) : (
          <div className="sub">None yet: the first train run that succeeds makes one.</div>
        )}
      </div>
      <div className="card">
        <div className="label">Last train run</div>
        {lastRun ? (
          <>
            <div className="value">
              <Link href={`/runs/${lastRun.id}`}>#{lastRun.id}</Link> <span className={`badge ${lastRun.status}`}>{lastRun.status}</span>
            </div>
            <div className="sub">
              <Time value={lastRun.finishedAt ?? lastRun.startedAt} />
            </div>
          </>
        ) : (
          <div className="sub">No train run yet.</div>
        )}
      </div>
    </section>
  );
}
