import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openStore } from "../storage/open";
import type { ObjectStore } from "../storage/store";
import { startS3Server } from "../testing/s3-server";

// `npm run bench:store`: a 3 GiB sparse file put into each store and read back, with the process's
// peak RSS: what moves through the store streams, so memory stays far below the object's size.
const SIZE = 3 * 1024 ** 3;
const MiB = 1024 * 1024;

/** The highest RSS seen while `work` runs, sampled every 20 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ value: T; peak: number; seconds: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  try {
    const value = await work();
    return { value, peak: Math.max(peak, process.memoryUsage().rss), seconds: (performance.now() - start) / 1000 };
  } finally {
    clearInterval(sampler);
  }
}

async function roundTrip(name: string, store: ObjectStore, file: string, expected: string) {
  const put = await peakRss(() => store.put("bench/sparse-3gib", createReadStream(file, { highWaterMark: MiB })));
  const got = await peakRss(async () => {
    const hash = createHash("sha256");
    for await (const part of await store.get("bench/sparse-3gib")) hash.update(part as Buffer);
    return hash.digest("hex");
  });
  await store.delete("bench/sparse-3gib");
  if (put.value.bytes !== SIZE || got.value !== expected) throw new Error(`${name}: the object did not come back whole`);
  const row = (what: string, r: { peak: number; seconds: number }) =>
    `| ${name} | ${what} | ${r.seconds.toFixed(1)} s | ${(SIZE / MiB / r.seconds).toFixed(0)} MiB/s | ${(r.peak / MiB).toFixed(0)} MiB |`;
  console.log(row("put", put));
  console.log(row("get + SHA-256", got));
}

const root = await mkdtemp(path.join(os.tmpdir(), "encore-bench-store-"));
const s3 = await startS3Server();
try {
  const file = path.join(root, "sparse");
  // Sparse: 3 GiB long, no blocks on disk, reads as zeros.
  const sparse = await open(file, "w");
  await sparse.truncate(SIZE);
  await sparse.close();
  const expected = createHash("sha256");
  const zeros = Buffer.alloc(64 * MiB);
  for (let done = 0; done < SIZE; done += zeros.length) expected.update(zeros);
  const digest = expected.digest("hex");
  console.log(
    `npm run bench:store: a ${SIZE / 1024 ** 3} GiB sparse file through each store (Node ${process.version}, ${os.cpus().length} cores); RSS at start ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
  );
  console.log("| store | step | time | rate | peak RSS of the process |\n| --- | --- | --- | --- | --- |");
  await roundTrip("local folder", openStore(path.join(root, "lake")), file, digest);
  await roundTrip("S3 (s3rver, same process)", openStore(s3.url("bench")), file, digest);
} finally {
  await s3.stop();
  await rm(root, { recursive: true, force: true });
}
