import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../config/env";
import { openDatabase } from "./database";
import { createTestDatabase, type TestDatabase } from "../testing/database";

let database: TestDatabase;
let root: string;

beforeAll(async () => {
  database = await createTestDatabase();
  root = await mkdtemp(path.join(os.tmpdir(), "encore-runtime-"));
});

afterAll(async () => {
  await database?.drop();
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (dir: string) => (await stat(dir)).mode & 0o777;

describe("DATA_DIR with DATABASE_URL", () => {
  it("is private, but stays passable to the postgres user when an embedded cluster lives in it (as root)", async () => {
    const plain = path.join(root, "plain");
    const withCluster = path.join(root, "with-cluster");
    await mkdir(path.join(withCluster, "pg"), { recursive: true, mode: 0o700 });
    for (const dir of [plain, withCluster]) {
      const opened = await openDatabase(parseEnv({ DATABASE_URL: database.url, DATA_DIR: dir, DATA_LAKE_DIR: path.join(dir, "lake") }), () => undefined);
      await opened.stop();
    }
    expect(await modeOf(plain)).toBe(0o700);
    expect(await modeOf(withCluster)).toBe(process.getuid?.() === 0 ? 0o711 : 0o700);
  });
});
