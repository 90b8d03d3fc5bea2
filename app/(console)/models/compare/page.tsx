import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { MetricsTable } from "@/components/models/MetricsTable";
import { requireOperator } from "@/server/auth/page-guard";
import { INT4_MAX } from "@/server/trpc/inputs";
import { serverCaller } from "@/server/trpc/server-caller";
import { ScrollRegion } from "@/components/layout/ScrollRegion";

export const metadata: Metadata = { title: "Compare model versions" };

const id = z.coerce.number().int().min(1).max(INT4_MAX);
const params = z.object({ a: id, b: id });

export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireOperator();
  const parsed = params.safeParse(await searchParams);
  const caller = await serverCaller();
  const pair = parsed.success ? await caller.models.compare(parsed.data).catch(() => null) : null;
  if (!pair) return (<><PageHead title="Compare model versions" /><EmptyState title="Choose two versions">Open it from the Models page, or as /models/compare?a=1&b=2.</EmptyState></>);
  const { a, b } = pair;
  const params_ = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])];
  return (
    <>
      <PageHead title={`Version ${a.id} and version ${b.id}`} subtitle="Each on its own run's test split; the same snapshot makes the numbers directly comparable." />
      <ScrollRegion panel label="Versions">
        <table aria-label="Versions">
          <thead><tr><th /><th><Link href={`/models/${a.id}`}>v{a.id}</Link></th><th><Link href={`/models/${b.id}`}>v{b.id}</Link></th></tr></thead>
          <tbody>
            <tr><td>Family</td><td>{a.family}</td><td>{b.family}</td></tr>
            <tr><td>Snapshot</td><td>{a.snapshotId}</td><td>{b.snapshotId}</td></tr>
            <tr><td>Aliases</td><td>{a.aliases.join(", ") || "—"}</td><td>{b.aliases.join(", ") || "—"}</td></tr>
            {params_.map((p) => <tr key={p}><td>{p}</td><td>{a.params[p] ?? "—"}</td><td>{b.params[p] ?? "—"}</td></tr>)}
          </tbody>
        </table>
        <MetricsTable label="Metrics side by side" columns={[{ title: `v${a.id}`, evaluation: a.metrics }, { title: `v${b.id}`, evaluation: b.metrics }]} />
      </ScrollRegion>
    </>
  );
}
