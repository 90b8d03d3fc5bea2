import type { ReactNode } from "react";

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="panel empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

export function PageHead({ title, subtitle, children }: { title: string; subtitle?: string; children?: ReactNode }) {
  return (
    <header className="page-head">
      <div>
        <h1>{title}</h1>
        {subtitle && (
          <p className="muted" style={{ margin: 0 }}>
            {subtitle}
          </p>
        )}
      </div>
      {children}
    </header>
  );
}
