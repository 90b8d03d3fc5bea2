import { Random } from "../lib/random";

const BINS_PER_MS = 10;
const BINS = 2000;

/** Latencies in 0.1 ms bins up to 200 ms (the last bin holds anything slower), so many can be summed and resampled cheaply. */
export class LatencyHistogram {
  readonly counts = new Uint32Array(BINS);
  total = 0;

  add(ms: number): void {
    this.counts[Math.min(BINS - 1, Math.floor(ms * BINS_PER_MS))]!++;
    this.total++;
  }

  addAll(other: LatencyHistogram): void {
    for (let i = 0; i < BINS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  /** The nearest-rank `q` quantile, as the upper edge of its bin (so at most 0.1 ms above the exact one). */
  quantile(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return (i + 1) / BINS_PER_MS;
    }
    return Number.NaN;
  }

  static sum(parts: readonly LatencyHistogram[]): LatencyHistogram {
    const total = new LatencyHistogram();
    for (const part of parts) total.addAll(part);
    return total;
  }
}

/** One block of each condition, run back to back. */
export interface BlockPair {
  without: LatencyHistogram;
  within: LatencyHistogram;
}

/**
 * The `q` quantile with the condition minus without, pooled over all pairs, and its percentile
 * bootstrap interval resampling whole pairs within each run (Efron & Tibshirani 1993, ch. 13):
 * neighbouring blocks share the machine's drift, so pairs, not single requests, are the units.
 */
export function quantileDifference(runs: readonly (readonly BlockPair[])[], q: number, { resamples = 2000, level = 0.95, seed = 1 } = {}) {
  const pooled = (chosen: readonly BlockPair[]) => {
    const without = LatencyHistogram.sum(chosen.map((p) => p.without)).quantile(q);
    const within = LatencyHistogram.sum(chosen.map((p) => p.within)).quantile(q);
    return { without, within, difference: within - without };
  };
  const random = new Random(seed);
  const draws = Float64Array.from({ length: resamples }, () => pooled(runs.flatMap((pairs) => pairs.map(() => random.pick(pairs)))).difference).sort();
  const at = (p: number) => draws[Math.min(resamples - 1, Math.max(0, Math.round(p * (resamples - 1))))]!;
  return { ...pooled(runs.flat()), ci: [at((1 - level) / 2), at((1 + level) / 2)] as [number, number] };
}
