import type { FamilyDefinition, Model, Params, TrainingData } from "./types";

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
  return {
    family: "popularity",
    params,
    trackIds,
    scoreHistory: (_history, out) => out.set(scores),
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
