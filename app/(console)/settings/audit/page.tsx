import type { Metadata } from "next";
import { AuditTable } from "@/components/accounts/AuditTable";
import { PageHead } from "@/components/layout/EmptyState";
import { Tabs } from "@/components/layout/Nav";
import { requireOperator } from "@/server/auth/page-guard";
import { serverCaller } from "@/server/trpc/server-caller";
import { settingsTabs } from "../tabs";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage() {
  await requireOperator("admin");
  const { entries } = await (await serverCaller()).audit.list({ limit: 200 });
  return (
    <>
      <PageHead title="Settings" subtitle="Audit log: sign-ins, sign-outs and account changes (newest 200)" />
      <Tabs tabs={settingsTabs(true)} />
      <AuditTable entries={entries} />
    </>
  );
}
