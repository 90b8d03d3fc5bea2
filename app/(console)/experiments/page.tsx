import type { Metadata } from "next";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { requireOperator } from "@/server/auth/page-guard";

export const metadata: Metadata = { title: "Experiments" };

export default async function ExperimentsPage() {
  await requireOperator();
  return (
    <>
      <PageHead title="Experiments" subtitle="A/B experiments between model versions" />
      <EmptyState title="No experiments">A/B experiments between model versions and their results will appear here once models exist.</EmptyState>
    </>
  );
}
