import type { Metadata } from "next";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";

export const metadata: Metadata = { title: "Runs" };

export default async function RunsPage() {
  await requireOperator();
  return (
    <>
      <PageHead title="Runs" subtitle="Pipeline runs and their tasks" />
      <EmptyState title="No runs recorded">Pipeline runs will be listed here, with their tasks, tries and logs, once ingestion is set up.</EmptyState>
    </>
  );
}
