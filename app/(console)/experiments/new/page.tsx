import type { Metadata } from "next";
import { PageHead } from "@/components/layout/EmptyState";
import { ExperimentForm } from "@/components/experiments/ExperimentForm";
import { requireOperator } from "@/server/auth/page-guard";
import { serverCaller } from "@/server/trpc/server-caller";

export const metadata: Metadata = { title: "New experiment" };

export default async function NewExperimentPage() {
  await requireOperator("operator");
  const caller = await serverCaller();
  const [versions, metrics] = await Promise.all([caller.models.list({ page: 1, pageSize: 100 }), caller.experiments.metrics()]);
  return (
    <>
      <PageHead title="New experiment" subtitle="A draft: start it from its page" />
      <ExperimentForm versions={versions.versions.filter((v) => !v.pruned)} metrics={metrics} />
    </>
  );
}
