import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { startRun } from "./runner";
import { forViewers } from "./viewer-text";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const dataDir = path.resolve(process.env.DATA_DIR ?? ".data");

describe("text viewers read in the ledger", () => {
  it("names the server's folders by their setting, not by absolute paths", () => {
    expect(forViewers(`ENOENT: no such file or directory, open '${dataDir}/lake/models/ab12.bin'`)).toBe(
      "ENOENT: no such file or directory, open 'DATA_LAKE_DIR/models/ab12.bin'",
    );
    expect(forViewers(`wrote ${dataDir}/secrets.json and ${process.cwd()}/server/recommender/score-worker.ts`)).toBe(
      "wrote DATA_DIR/secrets.json and ./server/recommender/score-worker.ts",
    );
    expect(forViewers(`${process.cwd()}-other/file`)).toBe(`${process.cwd()}-other/file`);
  });

  it("a train task's error and logs carry no absolute path", async () => {
    const file = path.join(dataDir, "lake", "models", "gone.bin");
    const started = await startRun(
      database,
      {
        name: "p-paths",
        tasks: [
          {
            name: "score",
            run: async (ctx) => {
              ctx.log(`loading ${file}`);
              throw new Error(`ENOENT: open '${file}'`);
            },
          },
        ],
      },
      { trigger: "cli" },
    );
    if (started.deduped) throw new Error("unexpected");
    const run = await started.finished;
    const task = await database.db.taskRun.findFirstOrThrow({ where: { runId: run.id } });
    const text = [run.error, task.error, ...task.logs].join("\n");
    expect(text).toContain("DATA_LAKE_DIR/models/gone.bin");
    expect(text).not.toContain(dataDir);
  });
});
