import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedVersion } from "../testing/ledger";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { parseEnv } from "../config/env";
import { readOutput } from "../pipeline/outputs";
import { startRun } from "../pipeline/runner";
import { measureChampionOnline } from "./online";
import { championOnlineOutput, championOnlineTask } from "./online-task";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** A champion trained on a snapshot whose newest listen is `newest` (to the millisecond), with batch scores for user 1. */
async function championTrainedUntil(newest: Date) {
  const snapshot = await database.db.trainSnapshot.create({
    data: { newestListenAt: newest, users: 1, tracks: 3, listens: 2, pairs: 2, digest: "d", path: "p", bytes: 1 },
  });
  const version = await seedVersion(database.db, snapshot.id, { metrics: { overall: { "ndcg@10": 0.5 } } });
  await database.db.modelAlias.create({ data: { alias: "champion", versionId: version.id, updatedBy: "test", reason: "test" } });
  await database.db.recommendation.create({ data: { versionId: version.id, userId: 1, trackIds: [30, 40], scores: [2, 1], reasons: [] } });
}

const listen = (createdAt: string, items: number[]) =>
  database.pool.query(`INSERT INTO listen_history (user_id, items, created_at, updated_at) VALUES (1, $1, $2, $2)`, [items, createdAt]);

describe("the served model on new listening", () => {
  it("the snapshot's newest listen, stored with microseconds the snapshot does not keep, is not new listening", async () => {
    await database.db.user.create({
      data: { id: 1, firstName: "A", lastName: "B", email: "a@b.test", gender: "x", favoriteGenres: "Rock", createdAt: new Date(), updatedAt: new Date() },
    });
    await listen("2026-11-20T10:00:00.000000Z", [10]);
    await listen("2026-11-27T12:00:00.123456Z", [20]);
    await championTrainedUntil(new Date("2026-11-27T12:00:00.123Z"));
    expect(await measureChampionOnline(database, null)).toBeNull();

    // A listen a millisecond later is new, and judged against the champion's top tracks.
    await listen("2026-11-27T12:00:00.124000Z", [30]);
    const online = await measureChampionOnline(database, null);
    expect(online).toMatchObject({ users: 1 });
    expect(online!.metrics["recall@20"]).toBe(1);
  });
});

describe("judging the served model, as a task", () => {
  const judge = async () => {
    const started = await startRun(database, { name: "judge", tasks: [championOnlineTask(parseEnv({}), [])] }, { trigger: "cli" });
    if (started.deduped) throw new Error("a run without a key is never deduplicated");
    const run = await started.finished;
    const task = await database.db.taskRun.findFirstOrThrow({ where: { runId: run.id, task: "champion-online" } });
    return { run, task };
  };

  it("records what it found as the task's output", async () => {
    const { run, task } = await judge();
    expect(task.error).toBeNull();
    expect(run.status).toBe("success");
    const { championOnline } = await readOutput(database.db, run.id, championOnlineOutput);
    expect(championOnline).toMatchObject({ users: 1 });
    expect(championOnline!.ndcg10).toBeGreaterThan(0);
  });

  it("fails its run, with the cause, when the measure cannot be stored", async () => {
    await database.pool.query("ALTER TABLE model_online_metrics RENAME TO model_online_metrics_away");
    try {
      const { run, task } = await judge();
      expect(run.status).toBe("failed");
      expect(task.status).toBe("failed");
      expect(task.error).toMatch(/model_online_metrics/);
    } finally {
      await database.pool.query("ALTER TABLE model_online_metrics_away RENAME TO model_online_metrics");
    }
  });
});
