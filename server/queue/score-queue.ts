import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type PgBoss from "pg-boss";
import type { Database } from "../db/client";
import { runScoreShard, scoreShard, shardReport, type ShardReport, type ShardRunner } from "../recommender/score-shards";
import { SCORE_QUEUE, sharedRunQueue } from "./run-queue";

/**
 * Shards go to SCORE_QUEUE: any worker takes them, and so does the task that sent them while it waits.
 * A shard's worker that died is found by the queue's expiry (pg-boss fails an active job past it, and
 * tries it again): a shard of 10,000 users takes about 30 s at 50,000 tracks, so this leaves room.
 */
export const SHARD_EXPIRY_SECONDS = 600;
const SHARD_RETRIES = { retryLimit: 3, retryDelay: 1, retryBackoff: false } as const;

/** Takes one waiting shard (of any run) and scores it here; false when none waits. */
async function takeOne(boss: PgBoss, database: Database): Promise<boolean> {
  const [job] = await boss.fetch<unknown>(SCORE_QUEUE, { batchSize: 1 });
  if (!job) return false;
  try {
    const report = await runScoreShard(database, scoreShard.parse(job.data));
    await boss.complete(SCORE_QUEUE, job.id, report);
  } catch (error) {
    await boss.fail(SCORE_QUEUE, job.id, { message: error instanceof Error ? error.message : String(error) });
  }
  return true;
}

/** The error a failed job kept: ours (`{ message }`), or pg-boss's own (`{ value: { message } }`, a timeout). */
const failureOf = (job: PgBoss.JobWithMetadata<unknown>) => {
  const output = job.output as { message?: unknown; value?: { message?: unknown } } | null;
  const message = output?.message ?? output?.value?.message;
  return typeof message === "string" ? message : "no message";
};

/**
 * Sends the shards to the queue, scores shards itself while any of them waits (`help`: so a scoring
 * ends with no worker but this one), and waits for the rest. A shard failed past its retries fails it all.
 */
export const queueShardRunner =
  ({ pollMs = 500, help = true } = {}): ShardRunner =>
  async (database, shards, signal, onDone) => {
    const { boss } = await sharedRunQueue(database);
    const ids = shards.map(() => randomUUID());
    await boss.insert(shards.map((data, k) => ({ id: ids[k], name: SCORE_QUEUE, data, expireInSeconds: SHARD_EXPIRY_SECONDS, ...SHARD_RETRIES })));
    const pending = new Set(ids);
    const reports: ShardReport[] = [];
    try {
      while (pending.size) {
        signal.throwIfAborted();
        const tookOne = help && (await takeOne(boss, database));
        for (const id of [...pending]) {
          const job = await boss.getJobById<unknown>(SCORE_QUEUE, id, { includeArchive: true });
          if (!job) throw new Error(`shard ${id} is no longer in the queue`);
          if (job.state === "completed") {
            const report = shardReport.parse(job.output);
            reports.push(report);
            pending.delete(id);
            onDone(report);
          } else if (job.state === "failed" || job.state === "cancelled") {
            const { users } = scoreShard.parse(job.data);
            throw new Error(`the shard of users ${users[0]}–${users[1]} ${job.state}: ${failureOf(job)}`);
          }
        }
        if (!tookOne && pending.size) await sleep(pollMs, undefined, { signal });
      }
    } catch (error) {
      await boss.cancel(SCORE_QUEUE, [...pending]).catch(() => undefined);
      throw error;
    }
    return reports;
  };

/** A worker's share of the scoring: shards one at a time (scoring fills a core). Returns what stops it. */
export async function workScoreShards(boss: PgBoss, database: Database): Promise<{ stop(reason: string): Promise<void> }> {
  const active = new Set<string>();
  await boss.work<unknown>(SCORE_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    active.add(job!.id);
    try {
      return await runScoreShard(database, scoreShard.parse(job!.data));
    } finally {
      active.delete(job!.id);
    }
  });
  return {
    async stop(reason) {
      await boss.offWork(SCORE_QUEUE);
      // Failed now rather than expired later: the queue hands them to another worker at once.
      for (const id of active) await boss.fail(SCORE_QUEUE, id, { message: `worker stopped: ${reason}` }).catch(() => undefined);
    },
  };
}
