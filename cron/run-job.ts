import os from "node:os";
import { createDatabase, type Database } from "../server/db/client";
import { ConfigError, parseEnv, type Env } from "../server/config/env";
import { onJobStopRequest } from "../server/cli/heap-bounded";
import { stopLocalRuns, waitForRun } from "../server/pipeline/runner";
import { runSummary } from "../server/pipeline/summary";
import { RunInProgressError } from "../server/pipeline/types";
import { openDatabase } from "../server/runtime/database";
import { startBuiltInSimulator } from "../server/simulator/built-in";
import { findJob, JOBS } from "../server/jobs/registry";
import { parseCommand } from "./command";
import { progressReporter } from "./progress";

const USAGE = `usage: npm run job -- <${Object.keys(JOBS).join("|")}> [--replay <runId> (ingest)] [--snapshot <snapshotId> (train)] [--force (train: even when this snapshot was trained with the same code and seed)]`;

const positiveId = (flag: string, value: string | undefined): number | undefined | null => {
  if (value === undefined) return undefined;
  const id = Number(value);
  if (Number.isInteger(id) && id > 0 && id <= 2_147_483_647) return id;
  console.error(`--${flag} takes an id, not ${value}`);
  return null;
};

async function main(): Promise<number> {
  const { positionals, values } = parseCommand();
  const name = positionals[0];
  const job = name ? findJob(name) : undefined;
  if (!job) {
    console.error(USAGE);
    return 2;
  }
  const replayOf = positiveId("replay", values.replay);
  const snapshotId = positiveId("snapshot", values.snapshot);
  if (replayOf === null || snapshotId === null) return 2;
  const trigger = values.trigger === "console" || values.trigger === "cron" ? values.trigger : "cli";
  let env: Env = parseEnv();
  const cleanups: (() => Promise<void>)[] = [];
  let running = false;
  // SIGTERM/SIGINT (or npm exiting on one): the run stops at its next page and is recorded as ended, then the database closes.
  onJobStopRequest((signal) => {
    console.error(`${signal}: stopping…`);
    setTimeout(() => process.exit(1), 9500).unref();
    if (running) void stopLocalRuns(`stopped: the job received ${signal}`);
    else void Promise.allSettled(cleanups.map((cleanup) => cleanup())).then(() => process.exit(1));
  });
  try {
    if (!env.MOOVITAMIX_URL && replayOf === undefined) {
      const simulator = await startBuiltInSimulator(env);
      cleanups.push(simulator.close);
      env = { ...env, MOOVITAMIX_URL: simulator.url };
    }
    const opened = await openDatabase(env, (line) => console.error(line));
    cleanups.push(opened.stop);
    const database: Database = createDatabase(opened.url, 12);
    cleanups.unshift(database.close);
    const progress = progressReporter();
    running = true;
    const started = await job.start(
      { database, env },
      {
        trigger,
        idempotencyKey: values.key,
        triggeredBy: values.by ?? `cli:${os.userInfo().username}`,
        params: {
          ...(replayOf === undefined ? {} : { replayOf }),
          ...(snapshotId === undefined ? {} : { snapshotId }),
          ...(values.force ? { force: true } : {}),
        },
      },
      progress,
    );
    if (started.deduped) console.error(`run ${started.run.id} already exists for this key; waiting for it`);
    const ended = started.deduped ? await waitForRun(database, started.run.id) : await started.finished;
    progress.stop();
    console.log(await runSummary(database.db, ended.id));
    // A run the data gate skipped did not train: not a success for a script waiting on it.
    return ended.status === "success" ? 0 : 1;
  } catch (error) {
    if (error instanceof RunInProgressError) {
      console.error(`${error.message} Wait for it to end, or look at it in the console.`);
      return 1;
    }
    throw error;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

/** `npm run job`'s work, in whichever thread cli.ts chose: its exit code, 0 only on success. */
export function runJobCommand(): Promise<number> {
  return main().catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error));
    return 1;
  });
}
