import type { Metadata } from "next";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage() {
  await requireOperator();
  return (
    <>
      <PageHead title="Overview" subtitle="Is today's data in, complete and fresh?" />
      <EmptyState title="No pipeline runs yet">The daily ingestion of the MooVitamix API is not set up in this version, so there is nothing to report. Run health, freshness and alerts will appear here once it is.</EmptyState>
    </>
  );
}
