import type pg from "pg";

export interface PipelineLock {
  /** Aborted, with the cause, when the connection holding the lock is lost (the lock is gone with it). */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export class LockLostError extends Error {
  constructor(pipeline: string, cause: Error) {
    super(`lost the database connection holding the ${pipeline} lock: ${cause.message}`, { cause });
    this.name = "LockLostError";
  }
}

/**
 * One run at a time per pipeline, across processes: a session-level advisory lock held on a
 * dedicated connection for the run's duration. If the process dies, PostgreSQL frees it.
 */
export async function tryLockPipeline(pool: pg.Pool, pipeline: string): Promise<PipelineLock | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext('encore.pipeline'), hashtext($1)) AS locked`, [pipeline]);
    if (!rows[0]?.locked) {
      client.release();
      return null;
    }
  } catch (error) {
    client.release(true);
    throw error;
  }
  const lost = new AbortController();
  // The connection sits idle while the run works: a terminated backend or a restarted server is
  // reported here, and unheard it would end the process.
  const onError = (error: Error) => {
    if (!lost.signal.aborted) lost.abort(new LockLostError(pipeline, error));
  };
  client.on("error", onError);
  let released = false;
  return {
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      try {
        if (lost.signal.aborted) throw lost.signal.reason;
        await client.query(`SELECT pg_advisory_unlock(hashtext('encore.pipeline'), hashtext($1))`, [pipeline]);
        client.off("error", onError);
        client.release();
      } catch {
        // A broken connection has lost the lock anyway; do not return it to the pool.
        client.release(true);
      }
    },
  };
}
