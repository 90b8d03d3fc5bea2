import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { setAlias } from "../recommender/registry";
import { freePort } from "../runtime/ports";
import { createApiKey } from "../serving/api-keys";
import { trainedEncore } from "../testing/trained";

interface Answer {
  status: number;
  body: string;
}

/** One request on a connection of its own, as a new client would open it (the cluster hands out connections, not requests). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: false, headers }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      })
      .on("error", reject);
  });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** The fixture (serve.ts's edge and REST without Next.js) with WEB_PROCESSES=count; resolves once every process listens. */
async function start(count: number, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "server/cli/web-processes.fixture.ts"], {
    env: { ...process.env, ...env, WEB_PROCESSES: String(count), PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let listening = 0;
    child.stdout!.on("data", (chunk: Buffer) => {
      listening += chunk
        .toString()
        .split("\n")
        .filter((line) => line.startsWith("listening")).length;
      if (listening === count) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the fixture exited (${code})`)));
  });
  return { child, port };
}

describe("WEB_PROCESSES", () => {
  it("answers from two processes on one port, REST included, and the primary answers nothing itself", async () => {
    const { child, port } = await start(2);
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(port, "/console")));
    const pids = new Set(answers.map((a) => a.body));
    expect(pids.size).toBe(2);
    expect(pids.has(String(child.pid))).toBe(false);
    const rest = await Promise.all(Array.from({ length: 4 }, () => get(port, "/api/v1/openapi.json")));
    expect(rest.map((a) => a.status)).toEqual([200, 200, 200, 200]);
  }, 60_000);

  it("serves from the one process it was started as by default, as before", async () => {
    const { child, port } = await start(1);
    const answers = await Promise.all(Array.from({ length: 4 }, () => get(port, "/console")));
    expect(new Set(answers.map((a) => a.body))).toEqual(new Set([String(child.pid)]));
  }, 60_000);

  it("drains every process on SIGTERM: requests in flight are answered, new connections refused, then it exits 0", async () => {
    const { child, port } = await start(2);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const inFlight = Promise.all([get(port, "/console?waitMs=1500"), get(port, "/console?waitMs=1500")]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(get(port, "/console")).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
    const answers = await inFlight;
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(2);
    expect(await exited).toBe(0);
  }, 60_000);

  it("serves a promotion from every process within SERVING_REFRESH_MS: each polls the database on its own", async () => {
    const encore = await trainedEncore(5, { tracks: 400, users: 200, histories: 2000, itemsPerHistory: 8 });
    try {
      const { database, lake } = encore;
      const a = (await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId;
      const { family } = await database.db.modelVersion.findUniqueOrThrow({ where: { id: a } });
      const b = (await database.db.modelVersion.findFirstOrThrow({ where: { family: { notIn: [family, "popularity"] } } })).id;
      const admin = { email: "admin@test" };
      const { key } = await createApiKey(database.db, { name: "web processes", scopes: ["recommendations:read"] }, admin);
      const { port } = await start(2, { DATABASE_URL: database.url, DATA_LAKE_DIR: lake.dir, SERVING_REFRESH_MS: "300" });
      // Connections go to the processes in turn: consecutive ones reach both.
      const served = async () => {
        const answers = [];
        for (let i = 0; i < 6; i++) answers.push(await get(port, "/api/v1/users/1/recommendations?k=5", { authorization: `Bearer ${key}` }));
        return answers.map((r) => (JSON.parse(r.body) as { model: { version: number } }).model.version);
      };
      expect(await served()).toEqual(Array(6).fill(a));
      await setAlias(database.db, "champion", b, admin, "test: promote");
      // One refresh period, and slack for a loaded machine to load the model.
      await new Promise((resolve) => setTimeout(resolve, 300 + 1500));
      expect(await served()).toEqual(Array(6).fill(b));
    } finally {
      // The processes stop before their database is dropped under them.
      for (const child of children.splice(0)) child.kill("SIGKILL");
      await encore.close();
    }
  }, 180_000);
});
