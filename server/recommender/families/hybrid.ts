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
    prepare: async () => {
      for (const c of used) await c.model.prepare?.();
    },
    ...(retrieving && { candidates: (history: History, limit: number) => union(used.map((c) => c.model.candidates!(history, limit, true))) }),
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

const CANDIDATES = 100;
/** Rounds of refinement after the first; each halves the step a weight moves by. */
const REFINEMENTS = 4;

/** One validation user as the blend search sees them: candidate tracks, each component's standardised scores of them, the held-out tracks. */
export interface BlendUser {
  candidates: Int32Array;
  z: Float32Array[];
  relevant: Set<number>;
}

/**
 * Each validation user's candidates (the union of the components' top 100, the user's training
 * tracks excluded) with every component's standardised scores of them, computed once.
 */
async function blendUsers(models: Model[], train: Csr, validation: Csr, maxUsers: number, pace: Pacer): Promise<BlendUser[]> {
  const buffers = models.map(() => new Float32Array(train.cols));
  const users: BlendUser[] = [];
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
  return users;
}

/** Mean NDCG@10 over the users of the blend with these weights, ranked among their candidates. */
export function blendNdcg(users: BlendUser[], weights: readonly number[]): number {
  let longest = 0;
  for (const u of users) longest = Math.max(longest, u.candidates.length);
  const blended = new Float32Array(longest);
  let sum = 0;
  for (const u of users) {
    const scores = blended.subarray(0, u.candidates.length);
    scores.fill(0);
    for (let k = 0; k < u.z.length; k++) {
      const [z, w] = [u.z[k]!, weights[k]!];
      if (w) for (let i = 0; i < z.length; i++) scores[i]! += w * z[i]!;
    }
    sum += atK(
      Array.from(topK(scores, 10), (i) => u.candidates[i]!),
      u.relevant,
      10,
    ).ndcg;
  }
  return users.length ? sum / users.length : 0;
}

/**
 * The blend's weights that rank the users' held-out tracks best (NDCG@10), as shares summing to 1.
 * Starts from the best of each component alone and all of them equal, then coordinate ascent: one
 * component's weight up or down by a step while that gains, the step halved each round. Only strict
 * gains move it, so it never ends below the best single component, and the same users give the
 * same weights.
 */
export async function searchWeights(users: BlendUser[], components: number, pace: Pacer): Promise<{ weights: number[]; ndcg: number }> {
  // Weights are counted in whole steps (2 for a component alone or all equal); doubling them all halves the step.
  let best = { parts: [] as number[], ndcg: Number.NEGATIVE_INFINITY };
  const consider = async (parts: number[]) => {
    if (parts.every((p) => p === 0)) return false;
    await pace.breathe();
    const total = parts.reduce((a, b) => a + b, 0);
    const ndcg = blendNdcg(
      users,
      parts.map((p) => p / total),
    );
    if (ndcg <= best.ndcg) return false;
    best = { parts: [...parts], ndcg };
    return true;
  };
  for (let k = 0; k < components; k++) await consider(Array.from({ length: components }, (_, c) => (c === k ? 2 : 0)));
  await consider(Array.from({ length: components }, () => 2));
  for (let round = 0; round <= REFINEMENTS; round++) {
    if (round > 0) best.parts = best.parts.map((p) => p * 2);
    for (let moved = true; moved; ) {
      moved = false;
      for (let k = 0; k < components; k++)
        for (const delta of [1, -1]) {
          const parts = [...best.parts];
          parts[k]! += delta;
          if (parts[k]! >= 0 && (await consider(parts))) moved = true;
        }
    }
  }
  const total = best.parts.reduce((a, b) => a + b, 0);
  return { weights: best.parts.map((p) => p / total), ndcg: best.ndcg };
}

/** Chooses the blend's weights on the validation split (see `searchWeights`), over at most `maxUsers` users. */
export async function tuneWeights(models: Model[], train: Csr, validation: Csr, maxUsers: number, pace: Pacer): Promise<{ weights: number[]; ndcg: number }> {
  return searchWeights(await blendUsers(models, train, validation, maxUsers, pace), models.length, pace);
}
