import type { Metadata } from "next";
import { PageHead } from "@/components/layout/EmptyState";
import { Tabs } from "@/components/layout/Nav";
import { ApiKeysManager } from "@/components/serving/ApiKeysManager";
import { requireOperator } from "@/server/auth/page-guard";
import { settingsTabs } from "../tabs";

export const metadata: Metadata = { title: "API keys" };

export default async function ApiKeysPage() {
  await requireOperator("admin");
  return (
    <>
      <PageHead title="Settings" subtitle="API keys for the serving API (/api/v1 and tRPC)" />
      <Tabs tabs={settingsTabs(true)} />
      <ApiKeysManager />
    </>
  );
}
