import { headers } from "next/headers";
import Link from "next/link";
import type { ReactNode } from "react";
import { DatabaseUnavailable } from "@/components/layout/DatabaseUnavailable";
import { Nav } from "@/components/layout/Nav";
import { SignOutButton } from "@/components/layout/SignOutButton";
import { TrpcReactProvider } from "@/components/trpc/Provider";
import { safeCallbackUrl } from "@/server/auth/callback-url";
import { requireOperator } from "@/server/auth/page-guard";
import { isDatabaseUnavailable } from "@/server/db/unavailable";

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
  return (
    <div className="shell">
      <aside className="sidebar">
        <Link href="/" className="brand">
          Encore
        </Link>
        <Nav />
        <div className="whoami" data-testid="whoami">
          <div>{operator.name}</div>
          <div className="muted" style={{ color: "#a59fc0" }}>{operator.email}</div>
          <div className="role">{operator.role}</div>
          <div style={{ marginTop: 8 }}>
            <SignOutButton />
          </div>
        </div>
      </aside>
      <main className="main">
        <TrpcReactProvider>{children}</TrpcReactProvider>
      </main>
    </div>
  );
}
