import Link from "next/link";
import type { ReactNode } from "react";
import { Nav } from "@/components/layout/Nav";
import { SignOutButton } from "@/components/layout/SignOutButton";
import { TrpcReactProvider } from "@/components/trpc/Provider";
import { requireOperator } from "@/server/auth/page-guard";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const operator = await requireOperator();
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
