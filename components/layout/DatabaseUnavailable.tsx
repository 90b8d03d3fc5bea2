import type { ReactNode } from "react";

/** What a console page shows while the database cannot be reached; the session stays. */
export function DatabaseUnavailable({ children }: { children?: ReactNode }) {
  return (
    <div className="panel empty" role="alert" data-testid="database-unavailable">
      <strong>503 · Database unavailable</strong>
      Encore cannot reach its database right now. You are still signed in: this page works again as soon as the database is back.
      {children && <p>{children}</p>}
    </div>
  );
}
