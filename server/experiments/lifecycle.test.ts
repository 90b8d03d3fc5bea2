import { TRPCError } from "@trpc/server";
import { seedVersion } from "../testing/ledger";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../db/generated/enums";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createCaller } from "../trpc/root";
import { createExperiment, decideExperiment, startExperiment, stopExperiment, type ExperimentDesign } from "./experiments";

// An experiment's lifecycle under concurrency, on versions that exist only as registry rows (no artefacts are read).

let database: TestDatabase;
let versionA: number;
let versionB: number;
const people: { id: number; email: string; name: string; role: Role }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  const snapshot = await db.trainSnapshot.create({ data: { users: 0, tracks: 0, listens: 0, pairs: 0, digest: "-", path: "-", bytes: 0 } });
  const version = () => seedVersion(db, snapshot.id);
  versionA = (await version()).id;
  versionB = (await version()).id;
  for (const role of ["operator", "admin"] as const)
    people.push(await db.operator.create({ data: { email: `${role}@test`, name: role, role, passwordHash: "-" } }));
});
afterAll(() => database.drop());

const design = (key: string): ExperimentDesign => ({
  key,
  name: key,
  hypothesis: "b beats a",
  variants: [
    { key: "a", versionId: versionA, weight: 1 },
    { key: "b", versionId: versionB, weight: 1 },
  ],
  coverage: 1,
  namespace: null,
  primaryMetric: "hit_rate",
  secondaryMetrics: [],
  guardrailMetrics: [],
  correction: "holm",
  sequential: true,
  alpha: 0.05,
});

async function running(key: string) {
  await createExperiment(database.db, design(key), { email: "setup@test" });
  await startExperiment(database.db, key, { email: "setup@test" });
}

const caller = (person: (typeof people)[number]) => createCaller({ db: database.db, database, ip: "127.0.0.1", authorization: null, operator: person });

describe("one decision per experiment", () => {
  it("of two decisions at once, one ships and the other gets 409 CONFLICT and changes nothing (nine trials)", async () => {
    const [operator, admin] = people as [(typeof people)[number], (typeof people)[number]];
    for (let trial = 0; trial < 9; trial++) {
      const key = `race-${trial}`;
      await running(key);
      const promotionsBefore = await database.db.auditLog.count({ where: { action: "model.promote" } });
      const outcomes = await Promise.allSettled([
        caller(operator).experiments.decide({ key, variant: "a", note: "operator ships a" }),
        caller(admin).experiments.decide({ key, variant: "b", note: "admin ships b" }),
      ]);
      const won = outcomes.filter((o) => o.status === "fulfilled");
      const lost = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
      expect(won, `trial ${trial}`).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(TRPCError);
      const refusal = lost[0] as TRPCError;
      expect(getHTTPStatusCodeFromError(refusal)).toBe(409);
      expect(refusal.message).toMatch(/decided already by (operator|admin)@test \(shipped [ab]\)/);
      const experiment = await database.db.experiment.findUniqueOrThrow({ where: { key } });
      const champion = await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } });
      expect(champion.versionId).toBe(experiment.shippedVariant === "a" ? versionA : versionB);
      expect(await database.db.auditLog.count({ where: { action: "model.promote" } })).toBe(promotionsBefore + 1);
      expect(await database.db.auditLog.count({ where: { action: "experiment.decide", target: `experiment ${key}` } })).toBe(1);
    }
  });

  it("a stop racing a decision: one wins, the other is refused with CONFLICT", async () => {
    for (let trial = 0; trial < 5; trial++) {
      const key = `stop-race-${trial}`;
      await running(key);
      const outcomes = await Promise.allSettled([
        stopExperiment(database.db, key, { email: "x@test" }),
        decideExperiment(database.db, key, { variant: null, note: "ship none" }, { email: "y@test" }),
      ]);
      const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as { code?: string }] : []));
      // The stop may come first (then the decision still applies to a stopped experiment), or after.
      expect(refused.every((r) => r.code === "CONFLICT")).toBe(true);
      expect((await database.db.experiment.findUniqueOrThrow({ where: { key } })).status).toBe("decided");
    }
  });

  it("two starts at once: one starts, the other gets CONFLICT", async () => {
    await createExperiment(database.db, design("double-start"), { email: "setup@test" });
    const outcomes = await Promise.allSettled([
      startExperiment(database.db, "double-start", { email: "x@test" }),
      startExperiment(database.db, "double-start", { email: "y@test" }),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(outcomes.flatMap((o) => (o.status === "rejected" ? [(o.reason as { code?: string }).code] : []))).toEqual(["CONFLICT"]);
    expect(await database.db.auditLog.count({ where: { action: "experiment.start", target: "experiment double-start" } })).toBe(1);
  });
});

describe("variant weights", () => {
  it("refuses a weight under 1% of the total (5e-324 was stored as 0), in designs and in the power calculator", async () => {
    const admin = people[1]!;
    const variants = (weights: number[]) => weights.map((weight, i) => ({ key: `v${i}`, versionId: i === 0 ? versionA : versionB, weight }));
    for (const weights of [
      [5e-324, 1000],
      [1, 1000],
      [1000, 0.5, 999],
    ]) {
      const refusal = await caller(admin)
        .experiments.create({ ...design(`tiny-${weights.length}-${weights[1]}`), variants: variants(weights) })
        .catch((error: unknown) => error);
      expect(refusal, String(weights)).toBeInstanceOf(TRPCError);
      expect((refusal as TRPCError).code).toBe("BAD_REQUEST");
      expect((refusal as TRPCError).message).toMatch(/at least 1% of their total/);
      const power = await caller(admin)
        .experiments.power({ metric: "hit_rate", mde: 0.05, weights, mean: 0.1, sd: 0.3 })
        .catch((error: unknown) => error);
      expect((power as TRPCError).code).toBe("BAD_REQUEST");
    }
    const created = await caller(admin).experiments.create({ ...design("one-percent"), variants: variants([1, 99]) });
    expect(created.variants.map((v) => v.weight)).toEqual([0.01, 0.99]);
  });
});
