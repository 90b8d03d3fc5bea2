/** Token buckets by name: `rate` tokens a second up to `burst`; a bucket never used starts full. */
export interface TokenBuckets {
  /** 0 when a request may pass (and takes its token), else the seconds until one will. */
  take(name: string, rate: number, burst: number): Promise<number>;
  /** Forgets what need not be kept (buckets full again); called every minute. */
  sweep(): void;
}

interface Bucket {
  tokens: number;
  at: number;
  rate: number;
  burst: number;
}

/**
 * Token buckets in this process's memory: the whole truth when one process serves the API;
 * several would each allow the full rate (RedisTokenBuckets shares them).
 */
export class MemoryTokenBuckets implements TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  async take(name: string, rate: number, burst: number): Promise<number> {
    const now = this.now();
    const bucket = this.buckets.get(name) ?? { tokens: burst, at: now, rate, burst };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    Object.assign(bucket, { at: now, rate, burst });
    this.buckets.set(name, bucket);
    if (bucket.tokens < 1) return (1 - bucket.tokens) / rate;
    bucket.tokens -= 1;
    return 0;
  }

  /** Forgets buckets that have filled up again (a new one starts full), so clients that went away hold no memory. */
  sweep(): void {
    const now = this.now();
    for (const [name, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * b.rate >= b.burst) this.buckets.delete(name);
  }
}
