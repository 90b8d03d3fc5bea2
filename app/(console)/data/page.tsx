import type { Metadata } from "next";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";

export const metadata: Metadata = { title: "Data" };

export default async function DataPage() {
  await requireOperator();
  return (
    <>
      <PageHead title="Data" subtitle="Tracks, users and listening history" />
      <EmptyState title="No data ingested">Tracks, users and listening history will be browsable here after the first ingestion.</EmptyState>
    </>
  );
}
