import { expect, it } from "vitest";
import { compareVersions, type ComparedVersion } from "./compare";
import type { Evaluation } from "./evaluate";

const metrics = (ndcg10: number): Evaluation => {
  const set = {
    "precision@10": 0.1,
    "recall@10": 0.2,
    "ndcg@10": ndcg10,
    "map@10": 0.1,
    "hit@10": 0.5,
    "precision@20": 0.05,
    "recall@20": 0.3,
    "ndcg@20": 0.2,
    "map@20": 0.1,
    "hit@20": 0.6,
    users: 100,
  };
  return { overall: set, segments: { light: set, regular: set }, coverage: 0.4, popularityBias: 10 } as unknown as Evaluation;
};
const version = (id: number, family: string, snapshotId: number, digest: string, ndcg10: number, params: Record<string, number>): ComparedVersion => ({
  id,
  family,
  aliases: [],
  runId: 1,
  snapshotId,
  codeVersion: "abcdef1234567890",
  params,
  metrics: metrics(ndcg10),
  training: { seconds: 2, cpuSeconds: 3, seed: 42 },
  snapshot: { digest },
});

it("puts versions in one table with deltas to the first and marks what differs; says whether the snapshots hold the same data", () => {
  const { rows, sameSnapshot, snapshots } = compareVersions([
    version(4, "als", 1, "d1", 0.2, { factors: 24 }),
    version(5, "ease", 2, "d2", 0.25, { lambda: 50 }),
    version(6, "als", 1, "d1", 0.15, { factors: 32 }),
  ]);
  expect(sameSnapshot).toBe(false);
  expect(snapshots).toEqual([1, 2]);
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  expect(byName.Family).toMatchObject({ values: ["als", "ease", "als"], differs: true });
  expect(byName.Code).toMatchObject({ differs: false });
  expect(byName.Seed).toMatchObject({ values: [42, 42, 42], differs: false });
  expect(byName.factors).toMatchObject({ section: "params", values: [24, null, 32], deltas: [null, null, 8] });
  expect(byName["ndcg@10"]!.deltas[0]).toBeNull();
  expect(byName["ndcg@10"]!.deltas[1]).toBeCloseTo(0.05, 10);
  expect(byName["ndcg@10"]!.deltas[2]).toBeCloseTo(-0.05, 10);
  expect(byName["recall@20"]).toMatchObject({ differs: false, deltas: [null, 0, 0] });
  // Two snapshot rows with the same contents are the same data.
  expect(compareVersions([version(1, "als", 1, "same", 0.2, {}), version(2, "als", 3, "same", 0.2, {})]).sameSnapshot).toBe(true);
});
