import Link from "next/link";
import { ScrollRegion } from "@/components/layout/ScrollRegion";

export interface ListedTrack {
  trackId: number;
  rank: number;
  name: string;
  artist: string;
  genres: string[];
  score: number;
  reason?: { text: string };
}

/** Ranked tracks linking to their pages; `marked` tracks (e.g. also in the other list) are flagged. */
export function TrackList({ items, label, marked }: { items: ListedTrack[]; label: string; marked?: ReadonlySet<number> }) {
  return (
    <ScrollRegion label={label}>
      <table aria-label={label}>
        <thead>
          <tr>
            <th>#</th>
            <th>Track</th>
            <th>Genres</th>
            <th>Score</th>
            {items.some((i) => i.reason) && <th>Why</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.trackId} data-testid={`track-${item.trackId}`}>
              <td>{item.rank}</td>
              <td>
                <Link href={`/listeners/tracks/${item.trackId}`}>{item.name}</Link> <span className="muted">· {item.artist}</span>
                {marked?.has(item.trackId) && (
                  <span className="badge" title="in both lists">
                    {" "}
                    both
                  </span>
                )}
              </td>
              <td>{item.genres.join(", ")}</td>
              <td>{item.score.toFixed(3)}</td>
              {item.reason && <td>{item.reason.text}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
