import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { EmptyState, PageHead } from "@/components/layout/EmptyState";
import { CompareTable } from "@/components/models/CompareTable";
import { requireOperator } from "@/server/auth/page-guard";
import { INT4_MAX } from "@/server/db/limits";
import { serverCaller } from "@/server/trpc/server-caller";

export const metadata: Metadata = { title: "Compare model versions" };

const id = z.coerce.number().int().min(1).max(INT4_MAX);
const list = (value: unknown) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
/** ?v=1&v=2… (the Models list's checkboxes), or the older ?a=1&b=2; each version once, in the order given. */
const params = z
  .object({ v: z.preprocess(list, z.array(id)), a: id.optional(), b: id.optional() })
  .transform(({ v, a, b }) => [...new Set([...v, ...(a ? [a] : []), ...(b ? [b] : [])])]);

export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireOperator();
  const parsed = params.safeParse(await searchParams);
  const ids = parsed.success ? parsed.data : [];
  const caller = await serverCaller();
  const compared = ids.length >= 2 && ids.length <= 6 ? await caller.models.compare({ versionIds: ids }).catch(() => null) : null;
  if (!compared) {
    const why =
      ids.length > 6
        ? `${ids.length} versions chosen: compare at most 6 at once.`
        : ids.length >= 2
          ? `One of versions ${ids.join(", ")} does not exist.`
          : "Tick 2 to 6 versions on the Models page and press Compare selected.";
    return (
      <>
        <PageHead title="Compare model versions" />
        <EmptyState title="Choose 2 to 6 versions">
          {why} <Link href="/models">Models</Link>
        </EmptyState>
      </>
    );
  }
  const { versions, comparison } = compared;
  const sameIds = comparison.snapshots.length === 1;
  const subtitle = comparison.sameSnapshot
    ? sameIds
      ? `All trained and measured on snapshot ${comparison.snapshots[0]}: the numbers are directly comparable.`
      : `Snapshots ${comparison.snapshots.join(", ")} hold the same data: the numbers are directly comparable.`
    : `Different snapshots (${comparison.snapshots.join(", ")}): each version is measured on its own run's test split, so differences mix the model and the data.`;
  return (
    <>
      <PageHead title={`Versions ${versions.map((v) => v.id).join(", ")}`} subtitle={subtitle} />
      <CompareTable ids={versions.map((v) => v.id)} comparison={comparison} />
    </>
  );
}
