import { parseArgs } from "node:util";
import { parseEnv } from "../config/env";
import { createDatabase } from "../db/client";
import { trainConfig } from "../recommender/config";
import { FactorsRejectedError, importFactors } from "../recommender/exchange/import";
import { exchangeLocation } from "../recommender/exchange/location";
import { openDatabase } from "../runtime/database";
import { runCommand, UsageError } from "./command";

const USAGE = `npm run model:import -- --from <prefix in the store, folder or s3:// URL>
  reads manifest.json, item_factors.parquet, test/item_factors.parquet (and user factors, when there) from there`;

/** Registers factors a trainer outside Encore fitted, once they pass the contract's checks (docs/exchange.md); promotes nothing. */
async function main() {
  const { values } = parseArgs({ options: { from: { type: "string" } } });
  if (!values.from) throw new UsageError("--from is required.");
  const env = parseEnv();
  const config = trainConfig(env);
  const opened = await openDatabase(env, (line) => console.error(line));
  const database = createDatabase(opened.url, 2);
  try {
    const source = exchangeLocation(values.from, config.store);
    const imported = await importFactors(database, config.store, source, { tune: config.tuneUsers, evaluate: config.evalUsers });
    const { overall } = imported.test;
    console.error(
      `${imported.created ? "Registered" : "Already imported as"} version ${imported.versionId} (als): NDCG@10 ${overall["ndcg@10"].toFixed(4)}, recall@20 ${overall["recall@20"].toFixed(4)} on ${overall.users} test users (popularity: NDCG@10 ${imported.baseline.overall["ndcg@10"].toFixed(4)})${imported.tracksWithoutFactors ? `; ${imported.tracksWithoutFactors} tracks had no factors and score 0` : ""}. Not promoted: promote it in the console or A/B test it.`,
    );
    console.log(imported.versionId);
  } finally {
    await database.close();
    await opened.stop();
  }
}

runCommand(main, USAGE, (error) => (error instanceof FactorsRejectedError ? `Refused, nothing registered: ${error.message}` : undefined));
