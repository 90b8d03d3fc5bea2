import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempLake } from "../testing/ingestion";
import { openStore } from "../storage/open";
import { LandingFile, readLanded, runFolder } from "./lake";

let lake: Awaited<ReturnType<typeof tempLake>>;
beforeEach(async () => {
  lake = await tempLake();
});
afterEach(() => lake.remove());

it("lands each page as one line of gzip JSON lines, a pretty-printed one included, and reads them back", async () => {
  const store = openStore(lake.dir);
  const folder = runFolder(store, "users", 7, new Date("2026-11-27T02:00:00Z"));
  const compact = { items: [{ id: 1 }], total: 2, page: 1, size: 1, pages: 2 };
  const pretty = { items: [{ id: 2, note: "two\nlines" }], total: 2, page: 2, size: 1, pages: 2 };
  const landing = LandingFile.open(folder, "try1-pass1");
  await landing.write(Buffer.from(JSON.stringify(compact)));
  await landing.write(Buffer.from(JSON.stringify(pretty, null, 2)));
  await landing.close();

  const lines = gunzipSync(await readFile(path.join(lake.dir, "users/2026-11-27/run-7/try1-pass1.jsonl.gz")))
    .toString("utf8")
    .split("\n");
  expect(lines).toEqual([JSON.stringify(compact), JSON.stringify(pretty), ""]);
  const pages = [];
  for await (const page of readLanded(store, "users", 7)) pages.push(page.items);
  expect(pages).toEqual([compact.items, pretty.items]);
});

describe("the lake's files", () => {
  it("are private to this user: folders 0700, files 0600", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "encore-lake-modes-"));
    try {
      const folder = runFolder(openStore(root), "users", 7, new Date("2026-11-27T00:00:00Z"));
      const dir = path.join(root, folder.prefix);
      const landing = LandingFile.open(folder, "try1-pass1");
      await landing.write(Buffer.from(JSON.stringify({ items: [{ email: "a@b.test" }], total: 1, page: 1, size: 100, pages: 1 })));
      await landing.close();
      const modes: string[] = [];
      for (let d = dir; d !== root; d = path.dirname(d)) modes.push(`${path.relative(root, d)} ${((await stat(d)).mode & 0o777).toString(8)}`);
      for (const f of await readdir(dir)) modes.push(`${f} ${((await stat(path.join(dir, f))).mode & 0o777).toString(8)}`);
      expect(modes.sort()).toEqual(["users 700", "users/2026-11-27 700", "users/2026-11-27/run-7 700", "try1-pass1.jsonl.gz 600"].sort());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
