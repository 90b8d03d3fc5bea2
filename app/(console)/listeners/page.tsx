import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";

export const metadata: Metadata = { title: "Listeners" };

export default async function ListenersPage({ searchParams }: { searchParams: Promise<{ q?: string | string[] }> }) {
  await requireOperator();
  const raw = (await searchParams).q;
  const query = (Array.isArray(raw) ? raw[0] : raw)?.slice(0, 200).replaceAll("\u0000", "") ?? "";
  const listeners = await (await serverCaller()).listeners.search({ query, limit: 50 });
  return (
    <>
      <PageHead title="Listeners" subtitle="Each listener's listening and the recommendations served to them" />
      <form className="form-row panel" role="search" action="/listeners">
        <label>
          Search
          {/* biome-ignore lint/a11y/noAutofocus: finding a listener is all this page is for */}
          <input name="q" defaultValue={query} placeholder="id, name or e-mail" maxLength={200} autoFocus />
        </label>
        <button className="primary" type="submit">
          Search
        </button>
      </form>
      {listeners.length === 0 ? (
        <EmptyState title={query ? `No listener matches “${query}”` : "No listeners yet"}>Listeners appear after the first ingestion.</EmptyState>
      ) : (
        <ScrollRegion panel label="Listeners">
          <table aria-label="Listeners">
            <thead>
              <tr>
                <th>Id</th>
                <th>Name</th>
                <th>E-mail</th>
                <th>Favourite genres</th>
              </tr>
            </thead>
            <tbody>
              {listeners.map((l) => (
                <tr key={l.id}>
                  <td>
                    <Link href={`/listeners/${l.id}`}>{l.id}</Link>
                  </td>
                  <td>
                    <Link href={`/listeners/${l.id}`}>
                      {l.firstName} {l.lastName}
                    </Link>
                  </td>
                  <td>{l.email}</td>
                  <td>{l.favoriteGenres}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!query && <p className="muted">The first {listeners.length} by id; search to find others.</p>}
        </ScrollRegion>
      )}
    </>
  );
}
