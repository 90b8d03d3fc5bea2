"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export const SECTIONS = [
  { href: "/", label: "Overview" },
  { href: "/runs", label: "Runs" },
  { href: "/alerts", label: "Alerts" },
  { href: "/data", label: "Data" },
  { href: "/models", label: "Models" },
  { href: "/experiments", label: "Experiments" },
  { href: "/listeners", label: "Listeners" },
  { href: "/settings", label: "Settings" },
] as const;

const isCurrent = (pathname: string, href: string) => (href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`));

/** The console's sections, open alerts counted beside Alerts, and the REST API's reference (not a console page). */
export function Nav({ openAlerts }: { openAlerts: number }) {
  const pathname = usePathname();
  return (
    <nav className="nav" aria-label="Sections">
      {SECTIONS.map((s) => (
        <Link key={s.href} href={s.href} aria-current={isCurrent(pathname, s.href) ? "page" : undefined}>
          {s.label}
          {s.href === "/alerts" && openAlerts > 0 && (
            <>
              {" "}
              <span className="count" data-testid="open-alerts">
                {openAlerts}
                <span className="sr-only"> open</span>
              </span>
            </>
          )}
        </Link>
      ))}
      <a href="/api/v1/docs">API docs</a>
    </nav>
  );
}

export function Tabs({ tabs }: { tabs: readonly { href: string; label: string }[] }) {
  const pathname = usePathname();
  return (
    <nav className="tabs" aria-label="Tabs">
      {tabs.map((t) => (
        <Link key={t.href} href={t.href} aria-current={pathname === t.href ? "page" : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
