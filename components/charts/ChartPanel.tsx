import type { ReactNode } from "react";

/** A titled chart box with a readable empty state. */
export function ChartPanel({
  title,
  empty,
  emptyText = "No runs to chart yet.",
  children,
}: {
  title: string;
  empty: boolean;
  emptyText?: string;
  children: ReactNode;
}) {
  return (
    <section className="chart" aria-label={title}>
      <h2>{title}</h2>
      {empty ? <div className="empty muted">{emptyText}</div> : <div style={{ width: "100%", height: 240 }}>{children}</div>}
    </section>
  );
}
