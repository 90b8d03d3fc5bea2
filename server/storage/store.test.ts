import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, type TestS3Server } from "../testing/s3-server";
import { tempLake } from "../testing/ingestion";
import { LocalStore } from "./local";
import { openStore } from "./open";
import { MissingObjectError, type ObjectStore } from "./store";

let s3: TestS3Server;
let lake: Awaited<ReturnType<typeof tempLake>>;
beforeAll(async () => {
  [s3, lake] = await Promise.all([startS3Server(), tempLake()]);
});
afterAll(async () => {
  await Promise.all([s3?.stop(), lake?.remove()]);
});

async function* chunks(...texts: string[]) {
  for (const text of texts) yield Buffer.from(text);
}

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

/** `bytes` zeros in 1 MiB chunks, one buffer reused: only the store can make memory grow. */
async function* zeros(bytes: number) {
  const chunk = new Uint8Array(1024 * 1024);
  for (let sent = 0; sent < bytes; sent += chunk.length) yield sent + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - sent);
}

const stores: [string, () => ObjectStore][] = [
  ["a local folder", () => openStore(lake.dir)],
  ["an S3-compatible server", () => openStore(s3.url("contract"))],
];

describe.each(stores)("the store on %s", (_, storeOf) => {
  it("gives back what was put, by key, and lists keys under a prefix", async () => {
    const store = storeOf();
    expect(await store.put("users/2026-11-27/run-7/try1-pass1.jsonl.gz", chunks("one ", "two"))).toEqual({ bytes: 7 });
    await store.put("users/2026-11-28/run-8/manifest-try001.json.gz", chunks("m"));
    await store.put("tracks/2026-11-27/run-7/try1-pass1.jsonl.gz", chunks("t"));
    expect(await text(await store.get("users/2026-11-27/run-7/try1-pass1.jsonl.gz"))).toBe("one two");
    expect(await store.stat("users/2026-11-27/run-7/try1-pass1.jsonl.gz")).toEqual({ bytes: 7 });
    expect(await store.list("users/")).toEqual(["users/2026-11-27/run-7/try1-pass1.jsonl.gz", "users/2026-11-28/run-8/manifest-try001.json.gz"]);
    expect(await store.list("nothing/")).toEqual([]);
    expect(store.keyOf(store.locate("tracks/2026-11-27/run-7/try1-pass1.jsonl.gz"))).toBe("tracks/2026-11-27/run-7/try1-pass1.jsonl.gz");
  });

  it("lists keys with their sizes in one listing", async () => {
    const store = storeOf();
    await store.put("sized/a", chunks("12345"));
    await store.put("sized/b/c", chunks("123"));
    await store.put("sizedother", chunks("1"));
    expect(await store.listSizes("sized/")).toEqual([
      { key: "sized/a", bytes: 5 },
      { key: "sized/b/c", bytes: 3 },
    ]);
    expect(await store.listSizes("nothing/")).toEqual([]);
  });

  it("says which object is missing, and deletes", async () => {
    const store = storeOf();
    await store.put("models/gone.model", chunks("x"));
    await store.delete("models/gone.model");
    await store.delete("models/gone.model");
    expect(await store.stat("models/gone.model")).toBeNull();
    await expect(store.get("models/gone.model")).rejects.toThrow(new MissingObjectError(store.locate("models/gone.model")));
  });

  it("stores nothing at a key whose body failed", async () => {
    const store = storeOf();
    async function* failing() {
      yield Buffer.from("half");
      throw new Error("source died");
    }
    await expect(store.put("snapshots/broken.snap", failing())).rejects.toThrow("source died");
    expect(await store.stat("snapshots/broken.snap")).toBeNull();
  });

  it("streams 256 MiB in and out in far less memory than the object", async () => {
    const store = storeOf();
    const size = 256 * 1024 * 1024;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      expect(await store.put("big/zeros", zeros(size))).toEqual({ bytes: size });
      const hash = createHash("sha256");
      for await (const part of await store.get("big/zeros")) hash.update(part as Buffer);
      const expected = createHash("sha256");
      for await (const part of zeros(size)) expected.update(part);
      expect(hash.digest("hex")).toBe(expected.digest("hex"));
    } finally {
      clearInterval(sampler);
      await store.delete("big/zeros");
    }
    // Holding the object would add at least its size; parts in flight and the in-process server's buffers add tens of MiB.
    expect(peak - before).toBeLessThan(size / 2);
  }, 120_000);
});

describe("the local store", () => {
  it("keeps today's layout and modes, and what a failed body gave as <key>.partial for the lake to resume from", async () => {
    const store = new LocalStore(lake.dir);
    await store.put("users/2026-11-29/run-9/try1-pass1.jsonl.gz", chunks("page"));
    const file = `${lake.dir}/users/2026-11-29/run-9/try1-pass1.jsonl.gz`;
    expect(store.locate("users/2026-11-29/run-9/try1-pass1.jsonl.gz")).toBe(file);
    expect(await readFile(file, "utf8")).toBe("page");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    async function* crashing() {
      yield Buffer.from("first page\n");
      throw new Error("crash");
    }
    await expect(store.put("users/2026-11-29/run-9/try2-pass1.jsonl.gz", crashing())).rejects.toThrow("crash");
    expect(await readFile(`${lake.dir}/users/2026-11-29/run-9/try2-pass1.jsonl.gz.partial`, "utf8")).toBe("first page\n");
  });

  it("removes the folders a delete leaves empty, up to the root, and no folder that still holds something", async () => {
    const root = `${lake.dir}/pruned`;
    const store = new LocalStore(root);
    await store.put("tracks/2026-10-01/run-3/try1-pass1.jsonl.gz", chunks("a"));
    await store.put("tracks/2026-10-01/run-3/try1-pass2.jsonl.gz", chunks("b"));
    await store.put("tracks/2026-10-01/run-4/try1-pass1.jsonl.gz", chunks("c"));
    const day = `${root}/tracks/2026-10-01`;
    await store.delete("tracks/2026-10-01/run-3/try1-pass1.jsonl.gz");
    expect((await readdir(`${day}/run-3`)).sort()).toEqual(["try1-pass2.jsonl.gz"]);
    await store.delete("tracks/2026-10-01/run-3/try1-pass2.jsonl.gz");
    expect(await readdir(day)).toEqual(["run-4"]);
    await store.delete("tracks/2026-10-01/run-4/try1-pass1.jsonl.gz");
    await expect(stat(day)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(root)).toEqual([]);
    // The folders come back with the next put.
    await store.put("tracks/2026-10-01/run-5/try1-pass1.jsonl.gz", chunks("d"));
    expect(await store.list("tracks/")).toEqual(["tracks/2026-10-01/run-5/try1-pass1.jsonl.gz"]);
  });

  it("reads a row's absolute path from outside its folder (a row written under another DATA_LAKE_DIR)", () => {
    const store = new LocalStore(lake.dir);
    expect(store.keyOf("/elsewhere/models/a.model")).toBe("/elsewhere/models/a.model");
    expect(store.locate("/elsewhere/models/a.model")).toBe("/elsewhere/models/a.model");
  });
});

describe("the S3 store", () => {
  it("refuses a location from another store instead of reading a wrong object", () => {
    expect(() => openStore(s3.url("contract")).keyOf("/var/lib/encore/lake/models/a.model")).toThrow(/is not in s3:\/\/encore\/contract/);
  });
});
