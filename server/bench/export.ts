import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeExport } from "../recommender/exchange/export";
import type { Snapshot } from "../recommender/snapshot";
import { Random } from "../lib/random";
import { openStore } from "../storage/open";

// `npm run bench:export -- [listens]`: a synthetic snapshot of 100,000 users and tracks exported as
// Parquet to a temporary folder, with the time, the files' size and the process's peak RSS: the
// files go out a row group at a time, so what the export adds to the snapshot's own arrays stays small.
const MiB = 1024 * 1024;
const listens = Number(process.argv[2] ?? 10_000_000);
const users = 100_000;
const tracks = 100_000;

function synthetic(): Snapshot {
  const random = new Random(1);
  const listenUser = new Int32Array(listens);
  const listenTrack = new Int32Array(listens);
  const listenTime = new Float64Array(listens);
  for (let i = 0; i < listens; i++) {
    listenUser[i] = Math.floor((i * users) / listens);
    listenTrack[i] = Math.floor(random.next() ** 2 * tracks);
    listenTime[i] = 1.75e12 + i * 1000;
  }
  const genres = ["Rock", "Jazz", "Pop"];
  return {
    userIds: Int32Array.from({ length: users }, (_, i) => i + 1),
    trackIds: Int32Array.from({ length: tracks }, (_, i) => i + 1),
    listenUser,
    listenTrack,
    listenTime,
    tracks: {
      name: Array.from({ length: tracks }, (_, i) => `Track ${i}`),
      artist: Array.from({ length: tracks }, (_, i) => `Artist ${i % 5000}`),
      genres: Array.from({ length: tracks }, (_, i) => [genres[i % 3]!]),
    },
    users: { favoriteGenres: Array.from({ length: users }, (_, i) => [genres[i % 3]!]) },
  };
}

async function main() {
  const snapshot = synthetic();
  const dir = await mkdtemp(path.join(os.tmpdir(), "encore-export-"));
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  try {
    const row = { id: 1, digest: "bench", createdAt: new Date(), newestListenAt: null, ingestionRunId: null };
    const manifest = await writeExport(row, snapshot, { store: openStore(dir), prefix: "" }, 42);
    const seconds = (performance.now() - start) / 1000;
    const bytes = manifest.files.listens.bytes + manifest.files.tracks.bytes + manifest.files.users.bytes;
    console.log("| listens | time | files | peak RSS | RSS before (the snapshot) |");
    console.log("| --- | --- | --- | --- | --- |");
    console.log(
      `| ${listens.toLocaleString("en")} | ${seconds.toFixed(1)} s | ${(bytes / MiB).toFixed(0)} MiB | ${(Math.max(peak, process.memoryUsage().rss) / MiB).toFixed(0)} MiB | ${(before / MiB).toFixed(0)} MiB |`,
    );
  } finally {
    clearInterval(sampler);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
