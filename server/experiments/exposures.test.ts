import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ExposureRecorder } from "./exposures";

let database: TestDatabase;
let experimentId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  const experiment = await database.db.experiment.create({
    data: {
      key: "writes",
      name: "writes",
      hypothesis: "-",
      seed: "s",
      primaryMetric: "hit_rate",
      secondaryMetrics: [],
      guardrailMetrics: [],
      createdBy: "test",
    },
  });
  experimentId = experiment.id;
});

afterAll(() => database?.drop());

const stored = (userId: number) => database.db.experimentExposure.findUniqueOrThrow({ where: { experimentId_userId: { experimentId, userId } } });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("exposure writes", () => {
  it("keeps the first variant and time, adds the counts, and keeps the union of the tracks served up to 200", async () => {
    const recorder = new ExposureRecorder(database.pool, 60_000);
    const t = (s: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, s));
    recorder.record(experimentId, 1, "a", [1, 2, 3], t(0));
    recorder.record(experimentId, 1, "a", [3, 4], t(1));
    await recorder.flush();
    expect(await stored(1)).toMatchObject({ variant: "a", exposures: 2, firstExposedAt: t(0), lastExposedAt: t(1) });
    expect((await stored(1)).servedTrackIds.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);

    // Tracks already kept: the row keeps its array as it was.
    recorder.record(experimentId, 1, "b", [2, 4], t(5));
    await recorder.flush();
    expect(await stored(1)).toMatchObject({ variant: "a", exposures: 3, firstExposedAt: t(0), lastExposedAt: t(5) });
    expect((await stored(1)).servedTrackIds.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);

    // New tracks join until 200 are kept; after that the array no longer grows.
    recorder.record(experimentId, 1, "a", range(100, 150), t(6));
    await recorder.flush();
    recorder.record(experimentId, 1, "a", range(1000, 150), t(7));
    await recorder.flush();
    const full = (await stored(1)).servedTrackIds;
    expect(full).toHaveLength(200);
    expect(new Set(full).size).toBe(200);
    expect(full).toEqual(expect.arrayContaining([1, 2, 3, 4, ...range(100, 150)]));
    recorder.record(experimentId, 1, "a", [5000], t(8));
    await recorder.flush();
    expect((await stored(1)).servedTrackIds.sort((a, b) => a - b)).toEqual([...full].sort((a, b) => a - b));
    expect((await stored(1)).exposures).toBe(6);
  });
});
