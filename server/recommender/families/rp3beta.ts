import { transpose, type Csr } from "../csr";
import type { Pacer } from "../pacer";
import { NeighbourRows, neighbourModel, popularityOrder, storedNeighbours, type Neighbours } from "./neighbours";
import type { FamilyDefinition, History, Model, Params, TrainingData } from "./types";

export interface WalkParams {
  /** the exponent on each step's transition probabilities */
  alpha: number;
  /** the popularity penalty: a destination track's weight is divided by its listeners^beta */
  beta: number;
  /** tracks kept per track */
  neighbours: number;
}

/**
 * RP3beta (Paudel, Christoffel, Newell & Bernstein 2016; as in Dacrema et al. 2019): the random
 * walk track i → listener u → track j, W_ij = P(u|i)^α · P(j|u)^α / listeners_j^β summed over u,
 * with P(u|i) = 1/listeners_i and P(j|u) = listens_uj / listens_u; the top `neighbours` per track kept.
 */
export async function walkNeighbours(matrix: Csr, { alpha, beta, neighbours }: WalkParams, pace: Pacer): Promise<Neighbours> {
  const toTrack = userToTrack(matrix, alpha);
  const byItem = transpose(matrix);
  const tracks = byItem.rows;
  const penalty = new Float64Array(tracks);
  for (let j = 0; j < tracks; j++) {
    const listeners = byItem.indptr[j + 1]! - byItem.indptr[j]!;
    penalty[j] = listeners ? listeners ** -beta : 0;
  }
  // Accumulated by popularity rank (see PopularityOrder), offered by track.
  const { rank, track, columns } = popularityOrder(matrix, byItem);
  const penaltyAt = Float64Array.from(track, (t) => penalty[t]!);
  const acc = new Float64Array(tracks);
  const touched = new Int32Array(tracks);
  const rows = new NeighbourRows(tracks, neighbours);
  for (let i = 0; i < tracks; i++) {
    if ((i & 255) === 0) await pace.breathe();
    const listeners = byItem.indptr[i + 1]! - byItem.indptr[i]!;
    const toUser = listeners ? (1 / listeners) ** alpha : 0;
    const self = rank[i]!;
    let nTouched = 0;
    for (let p = byItem.indptr[i]!; p < byItem.indptr[i + 1]!; p++) {
      const user = byItem.indices[p]!;
      for (let q = matrix.indptr[user]!; q < matrix.indptr[user + 1]!; q++) {
        const j = columns[q]!;
        if (j === self) continue;
        if (acc[j] === 0) touched[nTouched++] = j;
        acc[j]! += toTrack[q]!;
      }
    }
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t]!;
      rows.offer(track[j]!, toUser * acc[j]! * penaltyAt[j]!);
      acc[j] = 0;
    }
    rows.endRow();
  }
  return rows.result();
}

/** P(j|u)^α for each stored (u, j) of the matrix: the listener's listens of j over all their listens. */
function userToTrack(matrix: Csr, alpha: number): Float64Array {
  const out = new Float64Array(matrix.indices.length);
  for (let u = 0; u < matrix.rows; u++) {
    let total = 0;
    for (let q = matrix.indptr[u]!; q < matrix.indptr[u + 1]!; q++) total += matrix.data[q]!;
    for (let q = matrix.indptr[u]!; q < matrix.indptr[u + 1]!; q++) out[q] = (matrix.data[q]! / total) ** alpha;
  }
  return out;
}

/** The first step of a history's walk, P(i|u)^α for each of its tracks: a track j scores Σ_i P(i|u)^α · W_ij. */
function firstStep(history: History, alpha: number): Float64Array {
  let total = 0;
  for (const c of history.counts) total += c;
  return Float64Array.from(history.counts, (c) => (c / total) ** alpha);
}

export function rp3betaModel(trackIds: Int32Array, neighbours: Neighbours, params: Params): Model {
  const alpha = params.alpha!;
  return neighbourModel("rp3beta", trackIds, neighbours, params, (history) => firstStep(history, alpha));
}

export const rp3beta: FamilyDefinition = {
  family: "rp3beta",
  restore: (trackIds, arrays, params) => rp3betaModel(trackIds, storedNeighbours(arrays), params),
  // At most 100 neighbours: 200 ranked no better on the benches and doubles what each stored model holds.
  grid: [
    { alpha: 0.8, beta: 0.3, neighbours: 100 },
    { alpha: 0.8, beta: 0.5, neighbours: 100 },
    { alpha: 1, beta: 0.3, neighbours: 50 },
  ],
  fit: async (data: TrainingData, params, { pace }) =>
    rp3betaModel(
      data.snapshot.trackIds,
      await walkNeighbours(data.matrix, { alpha: params.alpha!, beta: params.beta!, neighbours: params.neighbours! }, pace),
      params,
    ),
};
