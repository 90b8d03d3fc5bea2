import PgBoss from "pg-boss";
import { z } from "zod";
import type { Database } from "../db/client";

/** The queue of Encore's runs: each job carries a run to start or a run to take again. */
export const RUN_QUEUE = "encore-runs";
/** The queue of batch-scoring shards (score-queue.ts). */
export const SCORE_QUEUE = "encore-score-shards";

const triggerRequest = z.object({
  trigger: z.enum(["cron", "console", "cli", "api"]),
  idempotencyKey: z.string().optional(),
  triggeredBy: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

/** What a queued job asks of a worker: start a run of `job`, or run the failed tasks of `runId` again. */
export const runWork = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("start"), job: z.string(), request: triggerRequest }),
  z.object({ kind: z.literal("retake"), job: z.string(), runId: z.number().int().positive() }),
  z.object({ kind: z.literal("retry"), job: z.string(), runId: z.number().int().positive() }),
]);
export type RunWork = z.infer<typeof runWork>;

/** What a worker answers, kept as the job's output for the trigger waiting on it. */
export const workOutcome = z.object({ outcome: z.enum(["ended", "busy", "deduped", "nothing"]), runId: z.number().int().nullable() });
export type WorkOutcome = z.infer<typeof workOutcome>;

/**
 * A run lives as long as it needs (the ledger's heartbeat says whether it is alive), so the queue
 * neither expires it early nor tries it again by itself: pg-boss 10 allows at most 24 h.
 */
const RUN_EXPIRY_SECONDS = 23 * 3600;
/** A retake waits for a run of its pipeline that holds the lock; tried every 10 s for an hour. */
const RETAKE_RETRIES = { retryLimit: 360, retryDelay: 10, retryBackoff: false } as const;

export interface RunQueue {
  boss: PgBoss;
  /** Queues the start of a run; returns the queue's job id. */
  start(job: string, request: z.infer<typeof triggerRequest>): Promise<string>;
  /** Queues the retry of an ended run's failed tasks (a dead or stopped worker's run). */
  retake(job: string, runId: number): Promise<string>;
  /** Queues an operator's retry of an ended run's failed and skipped tasks. */
  retry(job: string, runId: number): Promise<string>;
  stop(): Promise<void>;
}

/** Once, by whichever process comes first: pg-boss's create_queue deadlocks when two processes start together. */
async function createRunQueue(database: Database, boss: PgBoss) {
  const client = await database.pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('encore.queue'))`);
    if (!(await boss.getQueue(RUN_QUEUE))) await boss.createQueue(RUN_QUEUE, { name: RUN_QUEUE, retryLimit: 0, expireInSeconds: RUN_EXPIRY_SECONDS });
    if (!(await boss.getQueue(SCORE_QUEUE))) await boss.createQueue(SCORE_QUEUE, { name: SCORE_QUEUE });
    await client.query(`SELECT pg_advisory_unlock(hashtext('encore.queue'))`);
    client.release();
  } catch (error) {
    // The session's lock goes with the connection.
    client.release(true);
    throw error;
  }
}

/**
 * pg-boss on the application's own pool (its tables in the `pgboss` schema, created on first use).
 * Only workers (`supervise`) expire and archive old jobs; pg-boss's own cron is not used.
 */
export async function openRunQueue(database: Database, { supervise = false } = {}): Promise<RunQueue> {
  const boss = new PgBoss({
    db: { executeSql: (text: string, values: unknown[]) => database.pool.query(text, values) },
    supervise,
    schedule: false,
  });
  boss.on("error", (error: Error) => console.error(`[queue] ${error.message}`));
  await boss.start();
  await createRunQueue(database, boss);
  const send = async (work: RunWork, options: PgBoss.SendOptions) => {
    const id = await boss.send(RUN_QUEUE, work, options);
    if (!id) throw new Error(`the queue refused ${work.kind} of ${work.job}`);
    return id;
  };
  return {
    boss,
    start: (job, request) => send({ kind: "start", job, request }, {}),
    retake: (job, runId) => send({ kind: "retake", job, runId }, RETAKE_RETRIES),
    retry: (job, runId) => send({ kind: "retry", job, runId }, {}),
    stop: () => boss.stop({ graceful: false, close: false }),
  };
}

const shared = new WeakMap<Database["pool"], Promise<RunQueue>>();

/** The queue of this process's database, opened once (web processes send through it). */
export function sharedRunQueue(database: Database): Promise<RunQueue> {
  let queue = shared.get(database.pool);
  if (!queue) {
    queue = openRunQueue(database);
    shared.set(database.pool, queue);
    queue.catch(() => shared.delete(database.pool));
  }
  return queue;
}
