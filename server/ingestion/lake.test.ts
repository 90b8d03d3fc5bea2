import { readFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, expect, it } from "vitest";
import { tempLake } from "../testing/ingestion";
import { LandingFile, landingDir, readLanded } from "./lake";

let lake: Awaited<ReturnType<typeof tempLake>>;
beforeEach(async () => {
  lake = await tempLake();
});
afterEach(() => lake.remove());

it("lands each page as one line of gzip JSON lines, a pretty-printed one included, and reads them back", async () => {
  const dir = landingDir(lake.dir, "users", 7, new Date("2026-11-27T02:00:00Z"));
  const compact = { items: [{ id: 1 }], total: 2, page: 1, size: 1, pages: 2 };
  const pretty = { items: [{ id: 2, note: "two\nlines" }], total: 2, page: 2, size: 1, pages: 2 };
  const landing = await LandingFile.open(dir, "try1-pass1");
  await landing.write(Buffer.from(JSON.stringify(compact)));
  await landing.write(Buffer.from(JSON.stringify(pretty, null, 2)));
  await landing.close();

  const lines = gunzipSync(await readFile(path.join(dir, "try1-pass1.jsonl.gz"))).toString("utf8").split("\n");
  expect(lines).toEqual([JSON.stringify(compact), JSON.stringify(pretty), ""]);
  const pages = [];
  for await (const page of readLanded(lake.dir, "users", 7)) pages.push(page.items);
  expect(pages).toEqual([compact.items, pretty.items]);
});
