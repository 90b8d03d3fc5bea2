import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { PageHead } from "@/components/layout/EmptyState";
import { ListeningChart } from "@/components/serving/ListeningChart";
import { TrackList } from "@/components/serving/TrackList";
import { requireOperator } from "@/server/auth/page-guard";
import { pathId } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Listener" };

const K = 20;

export default async function ListenerPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ version?: string }> }) {
  await requireOperator();
  const userId = pathId((await params).id);
  if (userId === null) notFound();
  const versionId = pathId((await searchParams).version);
  const caller = await serverCaller();
  const profile = await caller.listeners.profile({ userId }).catch(() => null);
  if (!profile) notFound();
  const [served, versions] = await Promise.all([caller.recommendations.forUser({ userId, k: K }), caller.models.list({ page: 1, pageSize: 100 })]);
  const other =
    versionId === null
      ? null
      : await caller.listeners.fromVersion({ userId, versionId, k: K }).catch((error: unknown) => (error instanceof Error ? error.message : "cannot be read"));
  const { user } = profile;
  const servedIds = new Set(served.items.map((i) => i.trackId));
  const otherIds = new Set(typeof other === "object" && other ? other.items.map((i) => i.trackId) : []);
  const both = new Set([...servedIds].filter((id) => otherIds.has(id)));
  return (
    <>
      <PageHead title={`${user.firstName} ${user.lastName}`} subtitle={`listener ${user.id} · ${user.email}`}>
        <Link href="/listeners">All listeners</Link>
      </PageHead>
      <div className="grid-2">
        <section className="panel" aria-label="Profile">
          <h2>Profile</h2>
          <dl className="facts">
            <dt>Favourite genres</dt>
            <dd>{user.favoriteGenres.join(", ") || "—"}</dd>
            <dt>Gender</dt>
            <dd>{user.gender}</dd>
            <dt>Signed up</dt>
            <dd>
              <Time value={user.createdAt} />
            </dd>
            <dt>Listening</dt>
            <dd>
              {profile.totalListens} tracks on {profile.listensPerDay.length} days
            </dd>
          </dl>
          <h3>Top genres</h3>
          <p>{profile.topGenres.map((g) => `${g.genre} (${g.listens})`).join(" · ") || "—"}</p>
          <h3>Top artists</h3>
          <p>{profile.topArtists.map((a) => `${a.artist} (${a.listens})`).join(" · ") || "—"}</p>
        </section>
        <ListeningChart days={profile.listensPerDay} />
      </div>

      <div className="grid-2">
        <section className="panel" aria-label="Recommended now">
          <h2>Recommended now</h2>
          <p className="muted">
            {served.model ? (
              served.experiment ? (
                <>
                  From experiment <Link href={`/experiments/${served.experiment.key}`}>{served.experiment.key}</Link>’s variant {served.experiment.variant} (
                  <Link href={`/models/${served.model.version}`}>version {served.model.version}</Link>, {served.model.family}), not the champion; shown here
                  without recording an exposure
                </>
              ) : (
                <>
                  From the champion, <Link href={`/models/${served.model.version}`}>version {served.model.version}</Link> ({served.model.family})
                </>
              )
            ) : (
              "From the fallback, popularity: no champion model could be read"
            )}
            {served.coldStart && " · cold start: no listening yet"}
          </p>
          <TrackList items={served.items} label="Recommended now" marked={both} />
        </section>
        <section className="panel" aria-label="Another version">
          <h2>Another version</h2>
          <form className="form-row" action={`/listeners/${userId}`}>
            <label>
              Version
              <select name="version" defaultValue={versionId ?? ""}>
                <option value="">pick one</option>
                {versions.versions.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.id} · {v.family}
                    {v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Compare</button>
          </form>
          {typeof other === "string" && (
            <p className="error" role="alert">
              {other}
            </p>
          )}
          {other && typeof other === "object" && (
            <>
              <p className="muted">
                {both.size} of {K} tracks in both lists.
              </p>
              <TrackList items={other.items} label={`Version ${versionId}`} marked={both} />
            </>
          )}
        </section>
      </div>

      <section className="panel" aria-label="Latest listening">
        <h2>Latest listening</h2>
        <ScrollRegion label="Latest listening">
          <table aria-label="Latest listening">
            <thead>
              <tr>
                <th>When</th>
                <th>Track</th>
              </tr>
            </thead>
            <tbody>
              {profile.recent.map((r, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a track can be recommended in two lists; its position tells them apart
                <tr key={`${r.id}-${i}`}>
                  <td>
                    <Time value={r.at} />
                  </td>
                  <td>
                    {r.name ? (
                      <>
                        <Link href={`/listeners/tracks/${r.id}`}>{r.name}</Link> <span className="muted">· {r.artist}</span>
                      </>
                    ) : (
                      <span className="muted">track {r.id} (not in the catalogue)</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      </section>
    </>
  );
}
