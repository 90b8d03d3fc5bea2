import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { PageHead } from "@/components/layout/EmptyState";
import { TrackList } from "@/components/serving/TrackList";
import { requireOperator } from "@/server/auth/page-guard";
import { pathId } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import { Time } from "@/components/layout/TimeZone";

export const metadata: Metadata = { title: "Track" };

export default async function TrackPage({ params }: { params: Promise<{ id: string }> }) {
  await requireOperator();
  const trackId = pathId((await params).id);
  if (trackId === null) notFound();
  const caller = await serverCaller();
  const track = await caller.listeners.track({ trackId }).catch(() => null);
  if (!track) notFound();
  const similar = track.vanished ? null : await caller.recommendations.similar({ trackId, k: 20 }).catch(() => null);
  return (
    <>
      <PageHead title={track.name} subtitle={`track ${track.id} · ${track.artist}`}>
        <Link href="/listeners">Listeners</Link>
      </PageHead>
      <section className="panel" aria-label="Track">
        <dl className="facts">
          <dt>Artist</dt>
          <dd>{track.artist}</dd>
          <dt>Album</dt>
          <dd>{track.album}</dd>
          <dt>Genres</dt>
          <dd>{track.genres.join(", ") || "—"}</dd>
          <dt>Duration</dt>
          <dd>{track.duration}</dd>
          <dt>Songwriters</dt>
          <dd>{track.songwriters}</dd>
          <dt>Listened</dt>
          <dd>
            {track.listens} times by {track.listeners} listeners
          </dd>
          <dt>Updated</dt>
          <dd>
            <Time value={track.updatedAt} />
            {track.vanished && " · no longer in the source: never recommended"}
          </dd>
        </dl>
      </section>
      <section className="panel" aria-label="Similar tracks">
        <h2>More like this</h2>
        {similar ? (
          <>
            <p className="muted">
              {similar.model ? (
                <>
                  From the champion, <Link href={`/models/${similar.model.version}`}>version {similar.model.version}</Link> ({similar.model.family}), for every
                  listener: experiments vary what a listener is recommended, not similar tracks
                </>
              ) : (
                "From the fallback, popularity in its genres: no champion model could be read"
              )}
            </p>
            <TrackList items={similar.items} label="Similar tracks" />
          </>
        ) : (
          <p className="muted">Not served: the track is not in the catalogue.</p>
        )}
      </section>
    </>
  );
}
