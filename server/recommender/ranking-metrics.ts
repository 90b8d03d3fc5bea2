import { z } from "zod";

/** Ranking quality of one user's list against their held-out tracks, at cut-off k. */
export interface AtK {
  precision: number;
  recall: number;
  ndcg: number;
  /** average precision at k, normalised by min(|relevant|, k) */
  map: number;
  hit: number;
}

/**
 * precision = hits/k; recall = hits/|relevant|; NDCG with binary gains, DCG = Σ 1/log2(rank+1) over
 * hits, IDCG the same for min(|relevant|, k) hits at the top; AP = Σ precision@rank over hit ranks
 * / min(|relevant|, k); hit = any hit. A list shorter than k counts its missing places as misses.
 */
export function atK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): AtK {
  let hits = 0;
  let dcg = 0;
  let apSum = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    if (!relevant.has(ranked[i]!)) continue;
    hits++;
    dcg += 1 / Math.log2(i + 2);
    apSum += hits / (i + 1);
  }
  const ideal = Math.min(relevant.size, k);
  let idcg = 0;
  for (let i = 0; i < ideal; i++) idcg += 1 / Math.log2(i + 2);
  return {
    precision: hits / k,
    recall: relevant.size ? hits / relevant.size : 0,
    ndcg: idcg ? dcg / idcg : 0,
    map: ideal ? apSum / ideal : 0,
    hit: hits > 0 ? 1 : 0,
  };
}

export const CUTOFFS = [10, 20] as const;
export type MetricName = `${keyof AtK}@${(typeof CUTOFFS)[number]}`;
export type MetricSet = Record<MetricName, number> & { users: number };
const AT_K = ["precision", "recall", "ndcg", "map", "hit"] as const satisfies readonly (keyof AtK)[];
const METRIC_NAMES = CUTOFFS.flatMap((k) => AT_K.map((name) => `${name}@${k}` as const));
/** A MetricSet as stored in JSON columns (a version's evaluation, the champion's online metrics). */
export const metricSetSchema: z.ZodType<MetricSet> = z.object({ users: z.number() }).and(z.record(z.enum(METRIC_NAMES), z.number()));

/** Sums of per-user metrics, averaged at the end over the users that had held-out tracks. */
export class MetricAccumulator {
  private sums = new Map<MetricName, number>();
  users = 0;

  add(ranked: ArrayLike<number>, relevant: ReadonlySet<number>) {
    this.users++;
    for (const k of CUTOFFS) {
      for (const [name, value] of Object.entries(atK(ranked, relevant, k))) {
        const key = `${name}@${k}` as MetricName;
        this.sums.set(key, (this.sums.get(key) ?? 0) + value);
      }
    }
  }

  result(): MetricSet {
    const out = { users: this.users } as MetricSet;
    for (const k of CUTOFFS) for (const name of AT_K) out[`${name}@${k}`] = this.users ? (this.sums.get(`${name}@${k}`) ?? 0) / this.users : 0;
    return out;
  }
}
