interface Bucket {
  tokens: number;
  at: number;
  rate: number;
  burst: number;
}

/**
 * Token buckets in this process's memory: `rate` tokens a second up to `burst`. One web process
 * serves the API, so its buckets are the whole truth; several would each allow the full rate.
 */
export class RateLimiter {
  private readonly buckets = new Map<string | number, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** 0 when a request may pass (and takes its token), else the seconds until one will. */
  take(key: string | number, rate: number, burst: number): number {
    const bucket = this.fill(key, rate, burst);
    if (bucket.tokens < 1) return (1 - bucket.tokens) / rate;
    bucket.tokens -= 1;
    return 0;
  }

  /** The seconds until a request may pass, 0 when one may now; takes nothing. */
  wait(key: string | number, rate: number, burst: number): number {
    const bucket = this.fill(key, rate, burst);
    return bucket.tokens < 1 ? (1 - bucket.tokens) / rate : 0;
  }

  private fill(key: string | number, rate: number, burst: number): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now, rate, burst };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    Object.assign(bucket, { at: now, rate, burst });
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** Forgets buckets that have filled up again (a new one starts full), so clients that went away hold no memory. */
  sweep(): void {
    const now = this.now();
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * b.rate >= b.burst) this.buckets.delete(key);
  }
}
