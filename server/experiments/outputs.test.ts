import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOutcome } from "../monitoring/run-outcome";
import { readOutput } from "../pipeline/outputs";
import { startRun } from "../pipeline/runner";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { analyzeOutput, discoveriesOutput, feedbackPartitionsOutput } from "./outputs";
import { analyzePipeline } from "./pipeline";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("the analyze pipeline's declared outputs", () => {
  it("are written by its tasks and read back typed, by the next tasks and by the console", async () => {
    const user = { firstName: "f", lastName: "l", email: "1@x", gender: "x", favoriteGenres: "Rock", createdAt: new Date(), updatedAt: new Date() };
    await database.db.user.create({ data: { id: 1, ...user } });
    await database.db.listenHistory.create({ data: { userId: 1, items: [7], createdAt: new Date("2026-01-05T10:00:00Z"), updatedAt: new Date() } });
    const started = await startRun(database, analyzePipeline({ deadlineUtc: "06:00", feedbackKeepDays: 400 }), { trigger: "cli" });
    expect(started.deduped).toBe(false);
    if (started.deduped) return;
    expect((await started.finished).status).toBe("success");
    expect(await readOutput(database.db, started.run.id, discoveriesOutput)).toEqual({ rows: 1, firstListens: 1, newestListen: "2026-01-05T10:00:00.000Z" });
    expect(await readOutput(database.db, started.run.id, analyzeOutput)).toEqual({ experiments: 0 });
    expect(await readOutput(database.db, started.run.id, feedbackPartitionsOutput)).toMatchObject({ heldBy: null, dropped: [], deletedFromDefault: 0 });
    expect(await runOutcome(database.db, { id: started.run.id, pipeline: "analyze" })).toMatchObject({ kind: "analyze", experiments: 0 });
  });
});
