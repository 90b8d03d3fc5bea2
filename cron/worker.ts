import { createDatabase } from "../server/db/client";
import { ConfigError, parseEnv, type Env } from "../server/config/env";
import { onStopRequest } from "../server/cli/stop-signals";
import { findJob, jobOfPipeline } from "../server/jobs/registry";
import { startScheduler } from "../server/jobs/scheduler";
import { startWorker } from "../server/queue/worker";
import { openSharedDatabase } from "../server/queue/shared-database";
import { startBuiltInSimulator } from "../server/simulator/built-in";

const log = (line: string) => console.log(`[worker] ${line}`);

// `npm run worker`: takes queued runs on this machine until SIGTERM/SIGINT, which hands its runs back to the
// queue; with SCHEDULER=on it stands by to run the schedules, which one process of all leads.
async function main() {
  // The jobs it starts itself (a run that follows another) are queued too, for any worker.
  let env: Env = { ...parseEnv({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? "production" }), JOB_QUEUE: "on" };
  const url = await openSharedDatabase(env, "npm run worker");
  const cleanups: (() => Promise<void>)[] = [];
  if (!env.MOOVITAMIX_URL) {
    const simulator = await startBuiltInSimulator(env);
    cleanups.push(simulator.close);
    env = { ...env, MOOVITAMIX_URL: simulator.url };
    log(`MOOVITAMIX_URL is unset: ingesting from a built-in simulator at ${simulator.url}`);
  }
  const database = createDatabase(url, 12);
  cleanups.unshift(database.close);
  const worker = await startWorker({ database, env }, { findJob, jobOfPipeline, log });
  const scheduler = env.SCHEDULER === "on" ? await startScheduler({ database, env }, (line) => log(`scheduler: ${line}`)) : undefined;
  onStopRequest((reason) => {
    scheduler?.stop();
    log(`${reason}: handing back its runs…`);
    // Supervisors allow about 10 s: whatever still runs then is killed, and swept by another worker.
    setTimeout(() => process.exit(1), 9500).unref();
    void worker.stop(reason).then(async () => {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      log("stopped");
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[worker] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
