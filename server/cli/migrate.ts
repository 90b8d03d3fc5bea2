import { ConfigError, parseEnv } from "../config/env";
import { openDatabase } from "../runtime/database";

// `npm run db:migrate`: applies pending migrations (starting the embedded database when DATABASE_URL is unset).
async function main() {
  const database = await openDatabase(parseEnv(), (line) => console.log(line));
  const { applied, alreadyApplied } = database.migrations;
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Nothing to apply.");
  console.log(`${alreadyApplied.length + applied.length} migration(s) applied in all.`);
  await database.stop();
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error));
  process.exit(1);
});
