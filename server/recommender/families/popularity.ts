import { topK } from "../topk";
import type { FamilyDefinition, Model, Params, ScoreMoments, TrainingData } from "./types";

const DAY_MS = 86_400_000;

/** Recency-weighted listen counts per track: a listen `age` days older than the newest weighs 0.5^(age/halfLifeDays). */
export function popularityScores(data: TrainingData, halfLifeDays: number): Float32Array {
  const { listens } = data;
  let newest = Number.NEGATIVE_INFINITY;
  for (const t of listens.time) if (t > newest) newest = t;
  const scores = new Float32Array(data.matrix.cols);
  for (let i = 0; i < listens.track.length; i++) {
    const age = (newest - listens.time[i]!) / DAY_MS;
    scores[listens.track[i]!]! += Number.isFinite(halfLifeDays) ? 0.5 ** (age / halfLifeDays) : 1;
  }
  return scores;
}

export function popularityModel(trackIds: Int32Array, scores: Float32Array, params: Params): Model {
  // The same for every listener: ranked and summed once, when first asked.
  let ranked: Int32Array = new Int32Array();
  let moments: ScoreMoments | undefined;
  return {
    family: "popularity",
    params,
    trackIds,
    scoreHistory: (_history, out) => out.set(scores),
    candidates: (_history, limit) => {
      const wanted = Math.min(limit, scores.length);
      if (ranked.length < wanted) ranked = topK(scores, wanted);
      return ranked.slice(0, wanted);
    },
    scoreCandidates: (_history, candidates, out) => {
      for (let k = 0; k < candidates.length; k++) out[k] = scores[candidates[k]!]!;
      if (!moments) {
        let [sum, sumSq, min] = [0, 0, Number.POSITIVE_INFINITY];
        for (const v of scores) {
          sum += v;
          sumSq += v * v;
          if (v < min) min = v;
        }
        moments = { finite: scores.length, sum, sumSq, min };
      }
      return moments;
    },
    because: () => new Int32Array(),
    artefact: () => ({ meta: {}, arrays: { scores } }),
  };
}

export const popularity: FamilyDefinition = {
  family: "popularity",
  // 0: no decay (JSON has no Infinity)
  grid: [{ halfLifeDays: 30 }, { halfLifeDays: 7 }, { halfLifeDays: 0 }],
  restore: (trackIds, arrays, params) => popularityModel(trackIds, arrays.scores as Float32Array, params),
  fit: async (data, params) => popularityModel(data.snapshot.trackIds, popularityScores(data, params.halfLifeDays || Number.POSITIVE_INFINITY), params),
};
