import { momentsOf, scoreOn, union, zScale } from "../candidates";
import { historyOf } from "../evaluate";
import type { Csr } from "../csr";
import type { Pacer } from "../pacer";
import { atK } from "../ranking-metrics";
import { topK } from "../topk";
import type { History, Model, Params, TypedArrays } from "./types";

/**
 * Standardises scores in place over the finite ones (z-scores), so families on different scales can
 * be blended; −∞ (a track the family cannot score) becomes the lowest standardised score.
 */
export function standardise(scores: Float32Array): void {
  addStandardised(scores, 0, scores);
}

/** out += weight · standardised(scores) in one pass (`weight` 0: out = standardised, in place allowed). */
function addStandardised(scores: Float32Array, weight: number, out: Float32Array): void {
  const { mean, scale, floor } = zScale(momentsOf(scores));
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    const z = s === Number.NEGATIVE_INFINITY ? floor : (s - mean) * scale;
    out[i] = weight === 0 ? z : out[i]! + weight * z;
  }
}

export interface Component {
  model: Model;
  weight: number;
}

/** A weighted blend of the families' standardised scores; its artefact holds every component's. */
export function hybridModel(components: Component[]): Model {
  const used = components.filter((c) => c.weight > 0);
  const tracks = used[0]!.model.trackIds.length;
  const buffer = new Float32Array(tracks);
  let candidateScores = new Float32Array();
  const params: Params = Object.fromEntries(components.map((c) => [`weight.${c.model.family}`, c.weight]));
  // The union of its families' candidates, when each of them retrieves.
  const retrieving = used.every((c) => c.model.candidates);
  return {
    family: "hybrid",
    params,
    trackIds: used[0]!.model.trackIds,
    scoreHistory: (history: History, out: Float32Array) => {
      out.fill(0);
      for (const c of used) {
        c.model.scoreHistory(history, buffer);
        addStandardised(buffer, c.weight, out);
      }
    },
    prepare: () => {
      for (const c of used) c.model.prepare?.();
    },
    ...(retrieving && { candidates: (history: History, limit: number) => union(used.map((c) => c.model.candidates!(history, limit))) }),
    // Each family standardised by the moments of all its scores, so the blend equals `scoreHistory`'s on the candidates.
    scoreCandidates: (history, candidates, out) => {
      if (candidateScores.length < candidates.length) candidateScores = new Float32Array(candidates.length);
      out.fill(0, 0, candidates.length);
      for (const c of used) {
        const { mean, scale, floor } = zScale(scoreOn(c.model, history, candidates, candidateScores, buffer));
        for (let k = 0; k < candidates.length; k++) {
          const s = candidateScores[k]!;
          out[k]! += c.weight * (s === Number.NEGATIVE_INFINITY ? floor : (s - mean) * scale);
        }
      }
      return null;
    },
    // The heaviest component that draws on the history explains the blend.
    because: (history, item, limit) => {
      for (const c of [...used].sort((a, b) => b.weight - a.weight)) {
        const tracks = c.model.because(history, item, limit);
        if (tracks.length) return tracks;
      }
      return new Int32Array();
    },
    artefact: () => {
      const arrays: TypedArrays = {};
      const meta: Record<string, unknown> = { components: used.map((c) => ({ family: c.model.family, params: c.model.params, weight: c.weight })) };
      for (const c of used) for (const [name, array] of Object.entries(c.model.artefact().arrays)) arrays[`${c.model.family}.${name}`] = array;
      return { meta, arrays };
    },
  };
}

const WEIGHTS = [0, 0.5, 1];
const CANDIDATES = 100;

/**
 * Chooses the blend's weights on the validation split: each component's standardised scores are
 * computed once per user over the union of the components' top 100, then every weight combination
 * (0, 0.5 or 1 each) is ranked there and judged by NDCG@10.
 */
export async function tuneWeights(models: Model[], train: Csr, validation: Csr, maxUsers: number, pace: Pacer): Promise<{ weights: number[]; ndcg: number }> {
  const tracks = train.cols;
  const buffers = models.map(() => new Float32Array(tracks));
  const users: { candidates: Int32Array; z: Float32Array[]; relevant: Set<number> }[] = [];
  for (let user = 0; user < validation.rows && users.length < maxUsers; user++) {
    if (validation.indptr[user] === validation.indptr[user + 1]) continue;
    await pace.breathe();
    const history = historyOf(train, user);
    const pool = new Set<number>();
    models.forEach((model, m) => {
      const scores = buffers[m]!;
      model.scoreHistory(history, scores);
      standardise(scores);
      for (const item of history.items) scores[item] = Number.NEGATIVE_INFINITY;
      for (const item of topK(scores, CANDIDATES)) pool.add(item);
    });
    const candidates = Int32Array.from(pool);
    users.push({
      candidates,
      z: buffers.map((b) => Float32Array.from(candidates, (i) => b[i]!)),
      relevant: new Set(validation.indices.subarray(validation.indptr[user]!, validation.indptr[user + 1]!)),
    });
  }
  let best = { weights: models.map(() => 1), ndcg: -1 };
  const combination = models.map(() => 0);
  const blended = new Float32Array(models.length * CANDIDATES);
  const visit = (m: number) => {
    if (m === models.length) {
      if (combination.every((w) => w === 0)) return;
      let sum = 0;
      for (const u of users) {
        const scores = blended.subarray(0, u.candidates.length);
        scores.fill(0);
        u.z.forEach((z, k) => {
          const w = combination[k]!;
          if (w) for (let i = 0; i < z.length; i++) scores[i]! += w * z[i]!;
        });
        sum += atK(
          Array.from(topK(scores, 10), (i) => u.candidates[i]!),
          u.relevant,
          10,
        ).ndcg;
      }
      const ndcg = users.length ? sum / users.length : 0;
      if (ndcg > best.ndcg) best = { weights: [...combination], ndcg };
      return;
    }
    for (const w of WEIGHTS) {
      combination[m] = w;
      visit(m + 1);
    }
  };
  visit(0);
  return best;
}
