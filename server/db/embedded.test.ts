import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, it } from "vitest";
import { freePort } from "../runtime/ports";
import pg from "pg";
import { sharedBuffersMb, startEmbeddedPostgres } from "./embedded";

let root: string | undefined;

afterAll(() => (root ? rm(root, { recursive: true, force: true }) : undefined));

it("stop() returns when the embedded PostgreSQL has already stopped by itself", async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "encore-embedded-"));
  await chmod(root, 0o755);
  const dir = path.join(root, "pg");
  const server = await startEmbeddedPostgres({ dir, port: await freePort(), password: "embedded-test", database: "postgres" });
  const pid = Number((await readFile(path.join(dir, "postmaster.pid"), "utf8")).split("\n")[0]);
  process.kill(pid, "SIGINT");
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive()) await sleep(50);
  // Its exit has been seen by now; stop() must not wait for another.
  await sleep(200);
  const outcome = await Promise.race([server.stop().then(() => "stopped"), sleep(15_000).then(() => "still waiting")]);
  expect(outcome).toBe("stopped");
}, 60_000);

it("takes an eighth of the machine's memory for shared buffers, between 128 MB and 1 GB", async () => {
  const gib = 2 ** 30;
  expect([0.5, 2, 4, 8, 24].map((g) => sharedBuffersMb(g * gib))).toEqual([128, 256, 512, 1024, 1024]);
  const dir = await mkdtemp(path.join(os.tmpdir(), "encore-embedded-buffers-"));
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({ dir: path.join(dir, "pg"), port: await freePort(), password: "embedded-test", database: "postgres" });
  const client = new pg.Client({ connectionString: server.url });
  try {
    await client.connect();
    const { rows } = await client.query<{ mb: number }>("SELECT setting::int * 8 / 1024 AS mb FROM pg_settings WHERE name = 'shared_buffers'");
    expect(rows[0]!.mb).toBe(sharedBuffersMb());
  } finally {
    await client.end();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
