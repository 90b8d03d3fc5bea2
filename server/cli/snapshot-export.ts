import { parseArgs } from "node:util";
import { z } from "zod";
import { parseEnv } from "../config/env";
import { createDatabase } from "../db/client";
import { trainConfig } from "../recommender/config";
import { exportPrefix } from "../recommender/exchange/contract";
import { exportSnapshot, keyIn } from "../recommender/exchange/export";
import { exchangeLocation } from "../recommender/exchange/location";
import { openDatabase } from "../runtime/database";
import { runCommand, UsageError } from "./command";

const USAGE = `npm run snapshot:export -- --snapshot <id> [--out <prefix in the store, folder or s3:// URL>] [--seed <split seed>]
  writes listens.parquet, tracks.parquet, users.parquet and manifest.json (default: exports/snapshot-<id>/ in the store)`;

const id = z.coerce.number().int().min(1).max(2_147_483_647);

/** A recorded snapshot as Parquet for a trainer outside Encore (docs/exchange.md). */
async function main() {
  const { values } = parseArgs({ options: { snapshot: { type: "string" }, out: { type: "string" }, seed: { type: "string" } } });
  const snapshotId = id.safeParse(values.snapshot);
  if (!snapshotId.success) throw new UsageError("--snapshot must be a snapshot's id (a train run's page shows it; the table train_snapshots lists them).");
  const seed = values.seed === undefined ? undefined : z.coerce.number().int().safeParse(values.seed);
  if (seed && !seed.success) throw new UsageError("--seed must be an integer.");
  const env = parseEnv();
  const config = trainConfig(env);
  const opened = await openDatabase(env, (line) => console.error(line));
  const database = createDatabase(opened.url, 2);
  try {
    const out = exchangeLocation(values.out ?? exportPrefix(snapshotId.data), config.store);
    const started = performance.now();
    const manifest = await exportSnapshot(database, config.store, snapshotId.data, out, seed?.data ?? config.seed);
    const { listens, tracks, users } = manifest.files;
    console.error(
      `Exported snapshot ${manifest.snapshot.id} (${manifest.snapshot.digest.slice(0, 12)}…): ${listens.rows} listens (${manifest.split.held_out_listens} held out for the test split, seed ${manifest.split.seed}), ${tracks.rows} tracks, ${users.rows} users; ${listens.bytes + tracks.bytes + users.bytes} bytes in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
    );
    console.log(out.store.locate(keyIn(out.prefix, "manifest.json")));
  } finally {
    await database.close();
    await opened.stop();
  }
}

runCommand(main, USAGE);
