import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedVersion } from "../testing/ledger";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ingest, startTestSimulator, tempLake, testConfig } from "../testing/ingestion";
import type { Csr } from "./csr";
import { itemKnnModel, itemNeighbours } from "./families/item-knn";
import type { Model } from "./families/types";
import { unpaced } from "./pacer";
import { batchScore, recentListeners, scoredLines, type ScoreHelper } from "./scoring";
import { takeSnapshot, type Snapshot } from "./snapshot";
import { countMatrix, listensOf } from "./split";
import { openStore } from "../storage/open";
import { DEFAULT_TRAIN } from "./pipeline";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let snapshot: Snapshot;
let matrix: Csr;
let model: Model;
let versionId: number;

beforeAll(async () => {
  lake = await tempLake();
  database = await createTestDatabase();
  const simulator = await startTestSimulator();
  try {
    expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");
  } finally {
    await simulator.close();
  }
  const taken = await takeSnapshot(database, openStore(lake.dir), null, { listensPerUser: DEFAULT_TRAIN.listensPerUser });
  snapshot = taken.snapshot;
  matrix = countMatrix(listensOf(snapshot), snapshot.userIds.length, snapshot.trackIds.length);
  model = itemKnnModel(snapshot.trackIds, await itemNeighbours(matrix, 50, 10, unpaced()), {});
  const version = await seedVersion(database.db, taken.row.id, { family: "item_knn" });
  versionId = version.id;
});
afterAll(async () => {
  await database.drop();
  await lake.remove();
});

const stored = async () =>
  (await database.db.recommendation.findMany({ where: { versionId }, orderBy: { userId: "asc" } })).map((r) => ({
    userId: r.userId,
    trackIds: r.trackIds,
    scores: r.scores,
    reasons: r.reasons,
  }));

/** Scores its range here (the listeners of the last `recentDays`), in batches that arrive a little later, as a worker thread's would. */
const helperInProcess =
  (recentDays: number): ScoreHelper =>
  async (range, onLines) => {
    let batch: string[] = [];
    for await (const line of scoredLines(versionId, model, snapshot, matrix, range, unpaced(), recentListeners(snapshot, recentDays))) {
      batch.push(line);
      if (batch.length === 17) {
        const lines = batch.join("");
        setImmediate(() => onLines(lines));
        batch = [];
      }
    }
    const rest = batch.join("");
    await new Promise((resolve) => setImmediate(resolve));
    if (rest) onLines(rest);
    return true;
  };

describe("batch scores", () => {
  it("are the same whether a helper scores half of the users, declines, or none is asked", async () => {
    expect(await batchScore(database, versionId, model, snapshot, matrix, unpaced(), { recent: null })).toEqual({
      users: snapshot.userIds.length,
      perUser: 100,
    });
    const alone = await stored();
    expect(alone).toHaveLength(snapshot.userIds.length);
    expect(alone.every((r) => r.trackIds.length > 0 && r.scores.length === r.trackIds.length)).toBe(true);

    await batchScore(database, versionId, model, snapshot, matrix, unpaced(), { recent: null, helper: helperInProcess(0) });
    expect(await stored()).toEqual(alone);
    await batchScore(database, versionId, model, snapshot, matrix, unpaced(), { recent: null, helper: async () => false });
    expect(await stored()).toEqual(alone);
  });

  it("of recent listeners only: those whose latest listen is within the days of the snapshot's latest, the same with a helper", async () => {
    const DAY_MS = 86_400_000;
    let latest = 0;
    for (const t of snapshot.listenTime) latest = Math.max(latest, t);
    const recent = new Set<number>();
    snapshot.listenTime.forEach((t, i) => t >= latest - 20 * DAY_MS && recent.add(snapshot.userIds[snapshot.listenUser[i]!]!));
    expect(recent.size).toBeGreaterThan(0);
    expect(recent.size).toBeLessThan(snapshot.userIds.length);
    const all = await stored();
    expect(
      await batchScore(database, versionId, model, snapshot, matrix, unpaced(), { recent: recentListeners(snapshot, 20), helper: helperInProcess(20) }),
    ).toEqual({
      users: recent.size,
      perUser: 100,
    });
    const kept = await stored();
    expect(new Set(kept.map((r) => r.userId))).toEqual(recent);
    // A listener's row is the one scoring everyone gives them.
    expect(kept).toEqual(all.filter((r) => recent.has(r.userId)));
    await batchScore(database, versionId, model, snapshot, matrix, unpaced(), { recent: null });
  });

  it("keeps the stored scores when the helper fails midway", async () => {
    const before = await stored();
    const failing: ScoreHelper = async (_range, onLines) => {
      onLines(`${versionId}\t${snapshot.userIds.at(-1)}\t{1}\t{0.5}\t[]\n`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error("the scoring thread ran out of memory");
    };
    await expect(batchScore(database, versionId, model, snapshot, matrix, unpaced(), { recent: null, helper: failing })).rejects.toThrow("ran out of memory");
    expect(await stored()).toEqual(before);
  });
});
