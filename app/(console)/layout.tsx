import { cookies, headers } from "next/headers";
import Link from "next/link";
import type { ReactNode } from "react";
import { DatabaseUnavailable } from "@/components/layout/DatabaseUnavailable";
import { displayZone, ZONE_COOKIE } from "@/components/format";
import { Nav } from "@/components/layout/Nav";
import { TimeZoneChoice, TimeZoneProvider } from "@/components/layout/TimeZone";
import { SignOutButton } from "@/components/layout/SignOutButton";
import { TrpcReactProvider } from "@/components/trpc/Provider";
import { safeCallbackUrl } from "@/server/auth/callback-url";
import { requireOperator } from "@/server/auth/page-guard";
import { isDatabaseUnavailable } from "@/server/db/unavailable";
import { serverCaller } from "@/server/trpc/server-caller";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const operator = await requireOperator().catch((error: unknown) => {
    // The session cannot be checked: say so and keep it, instead of sending the operator to sign in.
    if (isDatabaseUnavailable(error)) return null;
    throw error;
  });
  if (!operator) {
    return (
      <main className="signin">
        <DatabaseUnavailable>
          <a href={safeCallbackUrl((await headers()).get("x-encore-path") ?? undefined)}>Try again</a>
        </DatabaseUnavailable>
      </main>
    );
  }
  const openAlerts = (await (await serverCaller()).alerts.list({ state: "open", page: 1, pageSize: 1 })).total;
  const zone = displayZone((await cookies()).get(ZONE_COOKIE)?.value);
  return (
    <TimeZoneProvider zone={zone}>
      <div className="shell">
        <a href="#content" className="skip-link">
          Skip to content
        </a>
        <aside className="sidebar">
          <Link href="/" className="brand">
            Encore
          </Link>
          <Nav openAlerts={openAlerts} />
          <div className="whoami" data-testid="whoami">
            <div>{operator.name}</div>
            <div className="muted" style={{ color: "#a59fc0" }}>
              {operator.email}
            </div>
            <div className="role">{operator.role}</div>
            <TimeZoneChoice />
            <div style={{ marginTop: 8 }}>
              <SignOutButton />
            </div>
          </div>
        </aside>
        <main className="main" id="content" tabIndex={-1}>
          <TrpcReactProvider>{children}</TrpcReactProvider>
        </main>
      </div>
    </TimeZoneProvider>
  );
}
