import { transpose, type Csr } from "../csr";
import type { Pacer } from "../pacer";
import { NeighbourRows, neighbourModel, popularityOrder, storedNeighbours, weightedNeighbourScores, type Neighbours } from "./neighbours";
import type { FamilyDefinition, History, Model, Params, TrainingData } from "./types";

/**
 * Item–item cosine with shrinkage (Sarwar et al. 2001; shrinkage as in Koren 2008):
 * sim(i, j) = Σ_u w_ui·w_uj / (‖w_i‖·‖w_j‖ + shrink), with w = log(1 + listens); the top
 * `neighbours` per track are kept.
 */
export async function itemNeighbours(matrix: Csr, neighbours: number, shrink: number, pace: Pacer): Promise<Neighbours> {
  const weights: Csr = { ...matrix, data: matrix.data.map((c) => Math.log1p(c)) };
  const byItem = transpose(weights);
  const norms = new Float64Array(byItem.rows);
  for (let i = 0; i < byItem.rows; i++) {
    let sum = 0;
    for (let p = byItem.indptr[i]!; p < byItem.indptr[i + 1]!; p++) sum += byItem.data[p]! ** 2;
    norms[i] = Math.sqrt(sum);
  }
  // Accumulated by popularity rank (see PopularityOrder), offered by track.
  const { rank, track, columns } = popularityOrder(weights, byItem);
  const normAt = Float64Array.from(track, (t) => norms[t]!);
  const acc = new Float64Array(byItem.rows);
  const touched = new Int32Array(byItem.rows);
  const rows = new NeighbourRows(byItem.rows, neighbours);
  for (let i = 0; i < byItem.rows; i++) {
    if ((i & 255) === 0) await pace.breathe();
    const self = rank[i]!;
    let nTouched = 0;
    for (let p = byItem.indptr[i]!; p < byItem.indptr[i + 1]!; p++) {
      const user = byItem.indices[p]!;
      const wi = byItem.data[p]!;
      for (let q = weights.indptr[user]!; q < weights.indptr[user + 1]!; q++) {
        const j = columns[q]!;
        if (j === self) continue;
        if (acc[j] === 0) touched[nTouched++] = j;
        acc[j]! += wi * weights.data[q]!;
      }
    }
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t]!;
      rows.offer(track[j]!, acc[j]! / (norms[i]! * normAt[j]! + shrink));
      acc[j] = 0;
    }
    rows.endRow();
  }
  return rows.result();
}

/** Scores every track from a history: Σ over its tracks i of log(1 + listens_i)·sim(i, j). */
export const neighbourScores = (n: Neighbours, history: History, out: Float32Array) => weightedNeighbourScores(n, logListens(history), history, out);

/** Item-kNN's weight of each history track: log(1 + listens). */
const logListens = (history: History) => Float64Array.from(history.counts, (c) => Math.log1p(c));

export function itemKnnModel(trackIds: Int32Array, neighbours: Neighbours, params: Params): Model {
  return neighbourModel("item_knn", trackIds, neighbours, params, logListens);
}

export const itemKnn: FamilyDefinition = {
  family: "item_knn",
  restore: (trackIds, arrays, params) => itemKnnModel(trackIds, storedNeighbours(arrays), params),
  grid: [
    { neighbours: 100, shrink: 10 },
    { neighbours: 200, shrink: 0 },
    { neighbours: 200, shrink: 50 },
    { neighbours: 50, shrink: 10 },
  ],
  fit: async (data: TrainingData, params, { pace }) =>
    itemKnnModel(data.snapshot.trackIds, await itemNeighbours(data.matrix, params.neighbours!, params.shrink!, pace), params),
};
