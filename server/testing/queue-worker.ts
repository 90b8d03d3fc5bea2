import { setTimeout as sleep } from "node:timers/promises";
import { parseEnv } from "../config/env";
import { createDatabase } from "../db/client";
import { jobFrom } from "../jobs/registry";
import { startWorker } from "../queue/worker";

/** A pipeline whose middle task lasts long enough to kill its worker in it. */
export const SLOW_JOB = jobFrom("slow", {
  description: "three tasks, the middle one 4 s long",
  pipeline: "slow",
  definition: () => ({
    name: "slow",
    tasks: [
      { name: "prepare", run: async (ctx) => ctx.log("prepared") },
      { name: "work", needs: ["prepare"], run: (ctx) => sleep(4000, undefined, { signal: ctx.signal }).catch(() => ctx.signal.throwIfAborted()) },
      {
        name: "finish",
        needs: ["work"],
        run: async (ctx) => {
          // A run asked to fail its first try of this task, for a retry to finish it.
          if ((ctx.run.params as { failFinish?: boolean }).failFinish && ctx.tryNumber === 1) throw new Error("failed on purpose");
          ctx.log("finished");
        },
      },
    ],
  }),
});

// A worker process over SLOW_JOB alone, spawned by server/queue/worker.test.ts.
if (process.argv[1]?.endsWith("queue-worker.ts")) {
  const env = parseEnv();
  const database = createDatabase(env.DATABASE_URL!, 6);
  const find = (name: string) => (name === SLOW_JOB.name || name === SLOW_JOB.pipeline ? SLOW_JOB : undefined);
  const worker = await startWorker({ database, env }, { findJob: find, jobOfPipeline: find, log: (line) => console.log(line) });
  process.once(
    "SIGTERM",
    () =>
      void worker
        .stop("SIGTERM")
        .then(() => database.close())
        .then(() => process.exit(0)),
  );
}
