import type { Metadata } from "next";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";

export const metadata: Metadata = { title: "Listeners" };

export default async function ListenersPage() {
  await requireOperator();
  return (
    <>
      <PageHead title="Listeners" subtitle="Per-listener recommendations" />
      <EmptyState title="No listeners yet">Each listener's history and recommendations will appear here after ingestion and training.</EmptyState>
    </>
  );
}
