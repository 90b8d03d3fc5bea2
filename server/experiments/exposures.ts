import type pg from "pg";

interface Pending {
  experimentId: number;
  userId: number;
  variant: string;
  first: Date;
  last: Date;
  count: number;
  served: Set<number>;
}

/** Tracks kept per exposure for the hit rate. */
const SERVED_KEPT = 200;

/**
 * Exposures as the serving API makes them, written in batches (every `flushMs`, one set-based
 * upsert) so recording adds no query to a request. The first variant stored for a user stays theirs;
 * later ones only add to the count and the tracks served. A crash loses at most the last batch's counts.
 */
export class ExposureRecorder {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    // Short, so each upsert is short: at 500 requests/s, a batch every 500 ms (250 exposures) took about 7 ms of PostgreSQL at once.
    private readonly flushMs = 100,
  ) {}

  /** The variant this process already recorded for the user (not yet written), if any. */
  variantOf(experimentId: number, userId: number): string | undefined {
    return this.pending.get(`${experimentId}:${userId}`)?.variant;
  }

  record(experimentId: number, userId: number, variant: string, served: readonly number[], at = new Date()): void {
    const key = `${experimentId}:${userId}`;
    const entry = this.pending.get(key) ?? { experimentId, userId, variant, first: at, last: at, count: 0, served: new Set<number>() };
    entry.last = at;
    entry.count++;
    for (const id of served) if (entry.served.size < SERVED_KEPT) entry.served.add(id);
    this.pending.set(key, entry);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes what is pending; resolves when it (and any flush before it) is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.flushing
      .then(() => (batch.length ? this.write(batch) : undefined))
      .catch((error: unknown) => console.error("[encore] could not record exposures:", error));
    return this.flushing;
  }

  private async write(batch: Pending[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO experiment_exposures AS x (experiment_id, user_id, variant, first_exposed_at, last_exposed_at, exposures, served_track_ids)
       SELECT e.experiment_id, e.user_id, e.variant, e.first_at, e.last_at, e.n, e.served::int[]
         FROM unnest($1::int[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::text[]) AS e(experiment_id, user_id, variant, first_at, last_at, n, served)
       ON CONFLICT (experiment_id, user_id) DO UPDATE SET
         last_exposed_at = greatest(x.last_exposed_at, EXCLUDED.last_exposed_at),
         exposures = x.exposures + EXCLUDED.exposures,
         -- The usual case, the same tracks again, skips merging the two arrays.
         served_track_ids = CASE WHEN x.served_track_ids @> EXCLUDED.served_track_ids OR cardinality(x.served_track_ids) >= ${SERVED_KEPT} THEN x.served_track_ids
           ELSE (SELECT array_agg(DISTINCT s) FROM (SELECT s FROM unnest(x.served_track_ids || EXCLUDED.served_track_ids) AS s LIMIT ${SERVED_KEPT}) AS kept) END`,
      [
        batch.map((e) => e.experimentId),
        batch.map((e) => e.userId),
        batch.map((e) => e.variant),
        batch.map((e) => e.first),
        batch.map((e) => e.last),
        batch.map((e) => e.count),
        batch.map((e) => `{${[...e.served].join(",")}}`),
      ],
    );
  }
}
