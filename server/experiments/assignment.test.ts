import { GrowthBook } from "@growthbook/growthbook";
import { describe, expect, it } from "vitest";
import { assignVariant, fnv32a, type AssignmentDesign } from "./assignment";

/** What the GrowthBook SDK itself decides for this user and design. */
function sdkVariant(design: AssignmentDesign, key: string, userId: number): number {
  const gb = new GrowthBook({ attributes: { id: String(userId) } });
  const result = gb.run({
    key,
    variations: design.weights.map((_, i) => i) as [number, number, ...number[]],
    weights: [...design.weights],
    coverage: design.coverage,
    hashVersion: 2,
    seed: design.seed,
    ...(design.namespace ? { namespace: [...design.namespace] as [string, number, number] } : {}),
  });
  gb.destroy();
  return result.inExperiment ? result.variationId : -1;
}

describe("assignment", () => {
  it("hashes like FNV-1a 32 (published test vectors)", () => {
    // From the FNV reference (isthe.com/chongo/tech/comp/fnv): FNV-1a 32 of "" and "a" and "foobar".
    expect(fnv32a("")).toBe(0x811c9dc5);
    expect(fnv32a("a")).toBe(0xe40c292c);
    expect(fnv32a("foobar")).toBe(0xbf9cf968);
  });

  const designs: [string, AssignmentDesign][] = [
    ["even split", { seed: "exp-even", weights: [0.5, 0.5], coverage: 1 }],
    ["three variants, uneven, 60% coverage", { seed: "exp-three", weights: [0.5, 0.3, 0.2], coverage: 0.6 }],
    ["in the second half of a namespace", { seed: "exp-ns", weights: [0.5, 0.5], coverage: 0.9, namespace: ["recs", 0.5, 1] }],
  ];

  it.each(designs)("picks the SDK's variant for 10,000 user ids: %s", (_, design) => {
    const counts = new Map<number, number>();
    for (let userId = 1; userId <= 10_000; userId++) {
      const ours = assignVariant(design, userId);
      expect(ours).toBe(sdkVariant(design, design.seed, userId));
      counts.set(ours, (counts.get(ours) ?? 0) + 1);
    }
    // Not all in one bucket: the comparison covers every variant and the excluded.
    for (let v = 0; v < design.weights.length; v++) expect(counts.get(v) ?? 0).toBeGreaterThan(500);
    if (design.coverage < 1 || design.namespace) expect(counts.get(-1) ?? 0).toBeGreaterThan(500);
  });

  it("never puts one user in two experiments of a namespace with disjoint ranges", () => {
    const a: AssignmentDesign = { seed: "a", weights: [0.5, 0.5], coverage: 1, namespace: ["recs", 0, 0.5] };
    const b: AssignmentDesign = { seed: "b", weights: [0.5, 0.5], coverage: 1, namespace: ["recs", 0.5, 1] };
    let inA = 0;
    for (let userId = 1; userId <= 10_000; userId++) {
      const both = assignVariant(a, userId) >= 0 && assignVariant(b, userId) >= 0;
      expect(both).toBe(false);
      if (assignVariant(a, userId) >= 0) inA++;
    }
    expect(inA).toBeGreaterThan(4000);
  });
});
