import type { Csr } from "./csr";
import type { History, Model } from "./families/types";
import type { Pacer } from "./pacer";
import { z } from "zod";
import { readJson } from "../db/json";
import { MetricAccumulator, metricSetSchema, type MetricSet } from "./ranking-metrics";
import { topK } from "./topk";

/** Fills `out` with a score for every track for `user` (higher is better). */
export type Scorer = (user: number, out: Float32Array) => void;

export interface Evaluation {
  overall: MetricSet;
  /** users with at most 5 tracks in training, and the rest */
  segments: { light: MetricSet; regular: MetricSet };
  /** share of the catalogue that appears in some user's top 10 */
  coverage: number;
  /** mean popularity (share of training users who listened) of the tracks in the top 10s */
  popularityBias: number;
}

/** An Evaluation as a version's `metrics` and `baselineMetrics` columns hold it. */
export const evaluationSchema: z.ZodType<Evaluation> = z.object({
  overall: metricSetSchema,
  segments: z.object({ light: metricSetSchema, regular: metricSetSchema }),
  coverage: z.number(),
  popularityBias: z.number(),
});

export const LIGHT_USER_MAX_TRACKS = 5;

/**
 * Full-ranking evaluation: every track of the catalogue is scored for every user with held-out
 * tracks, the user's training tracks are excluded, and the top 20 are compared with the held-out ones.
 */
export async function evaluate(score: Scorer, train: Csr, test: Csr, pace: Pacer): Promise<Evaluation> {
  const overall = new MetricAccumulator();
  const light = new MetricAccumulator();
  const regular = new MetricAccumulator();
  const scores = new Float32Array(train.cols);
  const recommended = new Uint8Array(train.cols);
  const listeners = new Float64Array(train.cols);
  for (let p = 0; p < train.indices.length; p++) listeners[train.indices[p]!]!++;
  let popularitySum = 0;
  let popularityCount = 0;
  const relevant = new Set<number>();
  for (let user = 0; user < test.rows; user++) {
    if (test.indptr[user] === test.indptr[user + 1]) continue;
    await pace.breathe();
    relevant.clear();
    for (let p = test.indptr[user]!; p < test.indptr[user + 1]!; p++) relevant.add(test.indices[p]!);
    score(user, scores);
    for (let p = train.indptr[user]!; p < train.indptr[user + 1]!; p++) scores[train.indices[p]!] = Number.NEGATIVE_INFINITY;
    const ranked = topK(scores, 20);
    overall.add(ranked, relevant);
    (train.indptr[user + 1]! - train.indptr[user]! <= LIGHT_USER_MAX_TRACKS ? light : regular).add(ranked, relevant);
    for (let i = 0; i < Math.min(10, ranked.length); i++) {
      recommended[ranked[i]!] = 1;
      popularitySum += listeners[ranked[i]!]! / train.rows;
      popularityCount++;
    }
  }
  let covered = 0;
  for (const r of recommended) covered += r;
  return {
    overall: overall.result(),
    segments: { light: light.result(), regular: regular.result() },
    coverage: train.cols ? covered / train.cols : 0,
    popularityBias: popularityCount ? popularitySum / popularityCount : 0,
  };
}

/** A user's row of a count matrix as a history (views, no copy). */
export const historyOf = (matrix: Csr, user: number): History => ({
  items: matrix.indices.subarray(matrix.indptr[user]!, matrix.indptr[user + 1]!),
  counts: matrix.data.subarray(matrix.indptr[user]!, matrix.indptr[user + 1]!),
});

/** Scores users of `matrix` with a model fitted on the same catalogue. */
export const scorerOf =
  (model: Model, matrix: Csr): Scorer =>
  (user, out) =>
    model.scoreHistory(historyOf(matrix, user), out);

/** A registered version's evaluation on its test split. */
export const versionEvaluation = (version: { metrics: unknown }) => readJson("model_versions.metrics", evaluationSchema, version.metrics);
// Only the headline is read here, so a version stored with less than a full Evaluation still ranks.
const headlineSchema = z.object({ overall: z.object({ "ndcg@10": z.number() }) });
export const versionNdcg10 = (version: { metrics: unknown }) => readJson("model_versions.metrics", headlineSchema, version.metrics).overall["ndcg@10"];
