import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { QuarantinedRecords } from "@/components/data/QuarantinedRecords";
import { Retention } from "@/components/data/Retention";

import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { FilterSelect } from "@/components/layout/FilterSelect";
import { Pagination } from "@/components/layout/Pagination";
import { requireOperator } from "@/server/auth/page-guard";
import { DATASETS } from "@/server/ingestion/records";
import type { RouterOutputs } from "@/server/trpc/root";
import { INT4_MAX } from "@/server/db/limits";
import { hasNul, MAX_PAGE } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Data" };

const TABS = [...DATASETS, "quarantine", "vanished", "retention"] as const;
const positive = z.coerce.number().int().positive().max(INT4_MAX).optional().catch(undefined);
const params = z.object({
  tab: z.enum(TABS).catch("tracks").default("tracks"),
  q: z
    .string()
    .trim()
    .max(100)
    .refine((v) => !hasNul(v))
    .catch("")
    .default(""),
  user: positive,
  track: positive,
  run: positive,
  dataset: z.enum(DATASETS).optional().catch(undefined),
  reason: z.enum(["invalid", "unknown_user"]).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(MAX_PAGE).catch(1).default(1),
});

const PAGE_SIZE = 25;

export default async function DataPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireOperator();
  const query = params.parse(await searchParams);
  const caller = await serverCaller();
  const paging = { page: query.page, pageSize: PAGE_SIZE };
  const str = (n: number | undefined) => (n === undefined ? undefined : String(n));

  return (
    <>
      <PageHead title="Data" subtitle="What ingestion loaded, what it quarantined, what the source no longer serves, and what retention keeps." />
      <nav className="tabs" aria-label="Datasets">
        {TABS.map((t) => (
          <Link key={t} href={`/data?tab=${t}`} aria-current={query.tab === t ? "page" : undefined}>
            {t}
          </Link>
        ))}
      </nav>

      {(query.tab === "tracks" || query.tab === "users") && (
        <form className="form-row" method="get" role="search" style={{ marginBottom: 12 }}>
          <input type="hidden" name="tab" value={query.tab} />
          <label>
            Search {query.tab === "tracks" ? "(id, name, artist, genre)" : "(id, name, e-mail, genre)"}
            <input name="q" defaultValue={query.q} />
          </label>
          <button type="submit">Search</button>
        </form>
      )}
      {query.tab === "listen_history" && (
        <form className="form-row" method="get" role="search" style={{ marginBottom: 12 }}>
          <input type="hidden" name="tab" value="listen_history" />
          <label>
            User id
            <input name="user" inputMode="numeric" defaultValue={str(query.user)} />
          </label>
          <label>
            Contains track id
            <input name="track" inputMode="numeric" defaultValue={str(query.track)} />
          </label>
          <button type="submit">Filter</button>
        </form>
      )}
      {query.tab === "quarantine" && (
        <form className="form-row" method="get" style={{ marginBottom: 12 }} aria-label="Filter quarantine">
          <input type="hidden" name="tab" value="quarantine" />
          <label>
            Run
            <input name="run" inputMode="numeric" defaultValue={str(query.run)} />
          </label>
          <FilterSelect label="Dataset" name="dataset" options={DATASETS} value={query.dataset} />
          <FilterSelect label="Reason" name="reason" options={["invalid", "unknown_user"]} value={query.reason} />
          <button type="submit">Filter</button>
        </form>
      )}
      {query.tab === "vanished" && (
        <form className="form-row" method="get" style={{ marginBottom: 12 }} aria-label="Filter vanished records">
          <input type="hidden" name="tab" value="vanished" />
          <FilterSelect label="Dataset" name="dataset" options={DATASETS} value={query.dataset} />
          <button type="submit">Filter</button>
        </form>
      )}

      {query.tab === "tracks" && <TracksTable {...(await caller.data.tracks({ search: query.q, ...paging }))} page={query.page} q={query.q} />}
      {query.tab === "users" && <UsersTable {...(await caller.data.users({ search: query.q, ...paging }))} page={query.page} q={query.q} />}
      {query.tab === "listen_history" && (
        <HistoriesTable
          {...(await caller.data.histories({ userId: query.user, trackId: query.track, ...paging }))}
          page={query.page}
          params={{ tab: "listen_history", user: str(query.user), track: str(query.track) }}
        />
      )}
      {query.tab === "quarantine" && (
        <QuarantineTable
          {...(await caller.runs.quarantine({ runId: query.run, dataset: query.dataset, reasonCode: query.reason, ...paging }))}
          page={query.page}
          params={{ tab: "quarantine", run: str(query.run), dataset: query.dataset, reason: query.reason }}
        />
      )}
      {query.tab === "vanished" && (
        <VanishedTable
          {...(await caller.data.vanished({ dataset: query.dataset, ...paging }))}
          page={query.page}
          params={{ tab: "vanished", dataset: query.dataset }}
        />
      )}
      {query.tab === "retention" && <Retention report={await caller.data.retention()} />}
    </>
  );
}

type Rows<T> = { total: number; rows: T[]; page: number };

function TracksTable({ total, rows, page, q }: Rows<RouterOutputs["data"]["tracks"]["rows"][number]> & { q: string }) {
  if (rows.length === 0) return <EmptyState title={q ? "No track matches" : "No tracks ingested yet"} />;
  return (
    <ScrollRegion panel label="Tracks">
      <table aria-label="Tracks">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Artist</th>
            <th>Songwriters</th>
            <th>Duration</th>
            <th>Genres</th>
            <th>Album</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.id}>
              <td>{t.id}</td>
              <td>{t.name}</td>
              <td>{t.artist}</td>
              <td>{t.songwriters}</td>
              <td>{t.duration}</td>
              <td>{t.genres}</td>
              <td>{t.album}</td>
              <td>
                <Time value={t.updatedAt} />
              </td>
              <td>
                <Link href={`/data?tab=listen_history&track=${t.id}`}>histories</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={page} pageSize={PAGE_SIZE} total={total} path="/data" params={{ tab: "tracks", q }} />
    </ScrollRegion>
  );
}

function UsersTable({ total, rows, page, q }: Rows<RouterOutputs["data"]["users"]["rows"][number]> & { q: string }) {
  if (rows.length === 0) return <EmptyState title={q ? "No user matches" : "No users ingested yet"} />;
  return (
    <ScrollRegion panel label="Users">
      <table aria-label="Users">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>E-mail</th>
            <th>Gender</th>
            <th>Favourite genres</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((u) => (
            <tr key={u.id}>
              <td>{u.id}</td>
              <td>
                {u.firstName} {u.lastName}
              </td>
              <td>{u.email}</td>
              <td>{u.gender}</td>
              <td>{u.favoriteGenres}</td>
              <td>
                <Time value={u.updatedAt} />
              </td>
              <td>
                <Link href={`/data?tab=listen_history&user=${u.id}`}>listening history</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={page} pageSize={PAGE_SIZE} total={total} path="/data" params={{ tab: "users", q }} />
    </ScrollRegion>
  );
}

function HistoriesTable({
  total,
  rows,
  page,
  params: keep,
}: Rows<RouterOutputs["data"]["histories"]["rows"][number]> & { params: Record<string, string | undefined> }) {
  if (rows.length === 0) return <EmptyState title="No listening history matches" />;
  return (
    <ScrollRegion panel label="Listening history">
      <table aria-label="Listening history">
        <thead>
          <tr>
            <th>User</th>
            <th>Listened</th>
            <th>Tracks</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((h) => (
            <tr key={h.id}>
              <td>
                <Link href={`/data?tab=listen_history&user=${h.userId}`}>{h.userId}</Link>{" "}
                <span className="muted">
                  {h.user.firstName} {h.user.lastName}
                </span>
              </td>
              <td>
                <Time value={h.createdAt} />
              </td>
              <td>
                {h.tracks.map((t, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a track can be listened to twice in one history; its position tells the two apart
                  <span key={`${t.id}-${i}`}>
                    {i > 0 && ", "}
                    {t.name ? (
                      <>
                        <Link href={`/listeners/tracks/${t.id}`}>{t.name}</Link> ({t.artist})
                      </>
                    ) : (
                      <span className="muted" title="not in tracks: an orphan item">
                        #{t.id}?
                      </span>
                    )}
                  </span>
                ))}
              </td>
              <td>
                <Time value={h.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={page} pageSize={PAGE_SIZE} total={total} path="/data" params={keep} />
    </ScrollRegion>
  );
}

function QuarantineTable({
  total,
  rows,
  page,
  params: keep,
}: Rows<RouterOutputs["runs"]["quarantine"]["rows"][number]> & { params: Record<string, string | undefined> }) {
  if (rows.length === 0) return <EmptyState title="Nothing in quarantine matches" />;
  return (
    <div className="panel">
      <QuarantinedRecords rows={rows} showRun />
      <Pagination page={page} pageSize={PAGE_SIZE} total={total} path="/data" params={keep} />
    </div>
  );
}

function VanishedTable({
  total,
  rows,
  page,
  params: keep,
}: Rows<RouterOutputs["data"]["vanished"]["rows"][number]> & { params: Record<string, string | undefined> }) {
  if (rows.length === 0) return <EmptyState title="Nothing has vanished from the source" />;
  const linkTo = (dataset: string, key: string) =>
    dataset === "tracks"
      ? `/data?tab=tracks&q=${key}`
      : dataset === "users"
        ? `/data?tab=users&q=${key}`
        : `/data?tab=listen_history&user=${key.split("@")[0]}`;
  return (
    <div className="panel">
      <p className="muted" style={{ marginTop: 0 }}>
        {total} record{total === 1 ? "" : "s"} a full read of the source no longer held. They stay in their tables and are never trained on or recommended; each
        is cleared when the source serves it again.
      </p>
      <ScrollRegion label="Vanished records">
        <table aria-label="Vanished records">
          <thead>
            <tr>
              <th>Dataset</th>
              <th>Key</th>
              <th>First missed</th>
              <th>By run</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((v) => (
              <tr key={`${v.dataset}:${v.recordKey}`}>
                <td>{v.dataset}</td>
                <td>
                  <Link href={linkTo(v.dataset, v.recordKey)}>{v.recordKey}</Link>
                </td>
                <td>
                  <Time value={v.firstMissedAt} />
                </td>
                <td>{v.firstMissedRunId ? <Link href={`/runs/${v.firstMissedRunId}`}>{v.firstMissedRunId}</Link> : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <Pagination page={page} pageSize={PAGE_SIZE} total={total} path="/data" params={keep} />
    </div>
  );
}
