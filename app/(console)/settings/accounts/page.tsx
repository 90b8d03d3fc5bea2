import type { Metadata } from "next";
import { AccountsManager } from "@/components/accounts/AccountsManager";
import { PageHead } from "@/components/layout/EmptyState";
import { Tabs } from "@/components/layout/Nav";
import { requireOperator } from "@/server/auth/page-guard";
import { settingsTabs } from "../tabs";

export const metadata: Metadata = { title: "Accounts" };

export default async function AccountsPage() {
  const admin = await requireOperator("admin");
  return (
    <>
      <PageHead title="Settings" subtitle="Accounts and roles" />
      <Tabs tabs={settingsTabs(true)} />
      <AccountsManager selfId={admin.id} />
    </>
  );
}
