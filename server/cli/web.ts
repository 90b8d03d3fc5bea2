import { ConfigError, parseEnv } from "../config/env";
import { openSharedDatabase } from "../queue/shared-database";
import { buildIsStale } from "./build-stamp";

const log = (line: string) => console.log(`[web] ${line}`);

/**
 * `npm run web`: the console, REST and tRPC only, for as many processes and machines as needed. It
 * runs no job and no scheduler: what it triggers is queued (JOB_QUEUE=on) for `npm run worker`.
 */
async function main() {
  // Read again by the server and its routes (env()).
  Object.assign(process.env, { NODE_ENV: process.env.NODE_ENV ?? "production", JOB_QUEUE: "on" });
  const env = parseEnv();
  if (await buildIsStale()) throw new Error("The console is not built from these sources: run `npm run build` first (once per release, not per process).");
  await openSharedDatabase(env, "npm run web");
  log(`serving on port ${env.PORT}; runs are queued for npm run worker`);
  await import("./serve");
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[web] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
