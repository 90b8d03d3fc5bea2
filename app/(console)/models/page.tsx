import type { Metadata } from "next";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";

export const metadata: Metadata = { title: "Models" };

export default async function ModelsPage() {
  await requireOperator();
  return (
    <>
      <PageHead title="Models" subtitle="Recommendation model versions and offline metrics" />
      <EmptyState title="No models trained">Model versions, their precision, recall and NDCG, and the champion will appear here once training is set up.</EmptyState>
    </>
  );
}
