import type pg from "pg";

export interface PipelineLock {
  release(): Promise<void>;
}

/**
 * One run at a time per pipeline, across processes: a session-level advisory lock held on a
 * dedicated connection for the run's duration. If the process dies, PostgreSQL frees it.
 */
export async function tryLockPipeline(pool: pg.Pool, pipeline: string): Promise<PipelineLock | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(hashtext('encore.pipeline'), hashtext($1)) AS locked`,
      [pipeline],
    );
    if (!rows[0]?.locked) {
      client.release();
      return null;
    }
  } catch (error) {
    client.release(true);
    throw error;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query(`SELECT pg_advisory_unlock(hashtext('encore.pipeline'), hashtext($1))`, [pipeline]);
        client.release();
      } catch {
        // A broken connection has lost the lock anyway; do not return it to the pool.
        client.release(true);
      }
    },
  };
}
