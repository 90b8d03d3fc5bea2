import Link from "next/link";

/** Previous/next links that keep the page's other search parameters. */
export function Pagination({
  page,
  pageSize,
  total,
  params,
  path,
  pageParam = "page",
}: {
  page: number;
  pageSize: number;
  total: number;
  params: Record<string, string | undefined>;
  path: string;
  pageParam?: string;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const href = (p: number) => {
    const query = new URLSearchParams(
      Object.entries({ ...params, [pageParam]: String(p) }).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""),
    );
    return `${path}?${query.toString()}`;
  };
  return (
    <nav className="pager" aria-label="Pages">
      {page > 1 ? <Link href={href(page - 1)}>← Previous</Link> : <span className="muted">← Previous</span>}
      <span>
        Page {page} of {pages} · {total} in all
      </span>
      {page < pages ? <Link href={href(page + 1)}>Next →</Link> : <span className="muted">Next →</span>}
    </nav>
  );
}
