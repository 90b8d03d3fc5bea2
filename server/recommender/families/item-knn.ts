import { transpose, type Csr } from "../csr";
import type { Pacer } from "../pacer";
import { largest } from "../topk";
import { strongest, type FamilyDefinition, type History, type Model, type Params, type ScoreMoments, type TrainingData } from "./types";

/** Each track's nearest tracks: neighbours of track i at indptr[i]..indptr[i+1] (best first as made; a model keeps them by track index). */
export interface Neighbours {
  indptr: Int32Array;
  indices: Int32Array;
  similarity: Float32Array;
}

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
  const acc = new Float64Array(byItem.rows);
  const touched = new Int32Array(byItem.rows);
  const indptr = new Int32Array(byItem.rows + 1);
  // At most `neighbours` per track: typed arrays of that size, trimmed at the end (no JS arrays of millions).
  const indices = new Int32Array(byItem.rows * neighbours);
  const similarity = new Float32Array(byItem.rows * neighbours);
  let filled = 0;
  const best = new Int32Array(neighbours);
  const bestSim = new Float64Array(neighbours);
  for (let i = 0; i < byItem.rows; i++) {
    if ((i & 255) === 0) await pace.breathe();
    let nTouched = 0;
    for (let p = byItem.indptr[i]!; p < byItem.indptr[i + 1]!; p++) {
      const user = byItem.indices[p]!;
      const wi = byItem.data[p]!;
      for (let q = weights.indptr[user]!; q < weights.indptr[user + 1]!; q++) {
        const j = weights.indices[q]!;
        if (j === i) continue;
        if (acc[j] === 0) touched[nTouched++] = j;
        acc[j]! += wi * weights.data[q]!;
      }
    }
    let size = 0;
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t]!;
      const sim = acc[j]! / (norms[i]! * norms[j]! + shrink);
      acc[j] = 0;
      if (size === neighbours && sim <= bestSim[neighbours - 1]!) continue;
      let at = size < neighbours ? size++ : neighbours - 1;
      while (at > 0 && (bestSim[at - 1]! < sim || (bestSim[at - 1] === sim && best[at - 1]! > j))) {
        best[at] = best[at - 1]!;
        bestSim[at] = bestSim[at - 1]!;
        at--;
      }
      best[at] = j;
      bestSim[at] = sim;
    }
    for (let n = 0; n < size; n++) {
      indices[filled] = best[n]!;
      similarity[filled++] = bestSim[n]!;
    }
    indptr[i + 1] = filled;
  }
  return { indptr, indices: indices.slice(0, filled), similarity: similarity.slice(0, filled) };
}

/** Scores every track from a history: Σ over its tracks i of log(1 + listens_i)·sim(i, j). */
export function neighbourScores(n: Neighbours, history: History, out: Float32Array): void {
  out.fill(0);
  for (let p = 0; p < history.items.length; p++) {
    const i = history.items[p]!;
    const w = Math.log1p(history.counts[p]!);
    for (let q = n.indptr[i]!; q < n.indptr[i + 1]!; q++) out[n.indices[q]!]! += w * n.similarity[q]!;
  }
}

/**
 * The same scores as `neighbourScores`, on the tracks they reach only: `acc` (zero elsewhere)
 * gathers them, `touched` lists the tracks reached. The last history's stay until another comes,
 * so retrieving and then scoring its candidates gathers once.
 */
class SparseScores {
  readonly acc: Float32Array;
  readonly touched: Int32Array;
  private readonly reached: Uint8Array;
  private owner: History | null = null;
  size = 0;

  constructor(tracks: number) {
    this.acc = new Float32Array(tracks);
    this.touched = new Int32Array(tracks);
    this.reached = new Uint8Array(tracks);
  }

  gather(n: Neighbours, history: History): void {
    if (this.owner === history) return;
    this.clear();
    this.owner = history;
    for (let p = 0; p < history.items.length; p++) {
      const i = history.items[p]!;
      const w = Math.log1p(history.counts[p]!);
      for (let q = n.indptr[i]!; q < n.indptr[i + 1]!; q++) {
        const j = n.indices[q]!;
        if (this.reached[j] === 0) {
          this.reached[j] = 1;
          this.touched[this.size++] = j;
        }
        this.acc[j]! += w * n.similarity[q]!;
      }
    }
  }

  /** Moments over the whole catalogue: the tracks not reached score 0. */
  moments(): ScoreMoments {
    let sum = 0;
    let sumSq = 0;
    let min = this.size < this.acc.length ? 0 : Number.POSITIVE_INFINITY;
    for (let t = 0; t < this.size; t++) {
      const v = this.acc[this.touched[t]!]!;
      sum += v;
      sumSq += v * v;
      if (v < min) min = v;
    }
    return { finite: this.acc.length, sum, sumSq, min };
  }

  private clear(): void {
    for (let t = 0; t < this.size; t++) {
      const j = this.touched[t]!;
      this.acc[j] = 0;
      this.reached[j] = 0;
    }
    this.size = 0;
  }
}

/** Sorts each track's neighbours by track index in place (a no-op for sorted rows), so `because` can binary-search them. */
function byTrackIndex(n: Neighbours): Neighbours {
  for (let i = 0; i + 1 < n.indptr.length; i++) {
    const [start, end] = [n.indptr[i]!, n.indptr[i + 1]!];
    let sorted = true;
    for (let q = start + 1; q < end && sorted; q++) sorted = n.indices[q - 1]! < n.indices[q]!;
    if (sorted) continue;
    const order = Array.from({ length: end - start }, (_, k) => start + k).sort((a, b) => n.indices[a]! - n.indices[b]!);
    const [indices, similarity] = [Int32Array.from(order, (q) => n.indices[q]!), Float32Array.from(order, (q) => n.similarity[q]!)];
    n.indices.set(indices, start);
    n.similarity.set(similarity, start);
  }
  return n;
}

/** sim(i, item) when `item` is among i's neighbours, else 0 (rows sorted by track index). */
function similarityOf(n: Neighbours, i: number, item: number): number {
  let [low, high] = [n.indptr[i]!, n.indptr[i + 1]! - 1];
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const j = n.indices[mid]!;
    if (j === item) return n.similarity[mid]!;
    if (j < item) low = mid + 1;
    else high = mid - 1;
  }
  return 0;
}

export function itemKnnModel(trackIds: Int32Array, neighbours: Neighbours, params: Params): Model {
  const n = byTrackIndex(neighbours);
  let sparse: SparseScores | undefined;
  const gathered = (history: History) => {
    sparse ??= new SparseScores(trackIds.length);
    sparse.gather(n, history);
    return sparse;
  };
  return {
    family: "item_knn",
    params,
    trackIds,
    scoreHistory: (history, out) => neighbourScores(n, history, out),
    // The neighbours of the history's tracks (every track scoring above 0), the best `limit` of them.
    candidates: (history, limit) => {
      const s = gathered(history);
      const values = new Float32Array(s.size);
      for (let t = 0; t < s.size; t++) values[t] = s.acc[s.touched[t]!]!;
      return largest(values, limit).map((t) => s.touched[t]!);
    },
    scoreCandidates: (history, candidates, out) => {
      const s = gathered(history);
      for (let k = 0; k < candidates.length; k++) out[k] = s.acc[candidates[k]!]!;
      return s.moments();
    },
    // Each history track's share of the item's score: log(1 + listens)·sim.
    because: (history, item, limit) =>
      strongest(
        history,
        Array.from(history.items, (i, p) => Math.log1p(history.counts[p]!) * similarityOf(n, i, item)),
        limit,
      ),
    artefact: () => ({ meta: {}, arrays: { indptr: n.indptr, indices: n.indices, similarity: n.similarity } }),
  };
}

export const itemKnn: FamilyDefinition = {
  family: "item_knn",
  restore: (trackIds, arrays, params) =>
    itemKnnModel(
      trackIds,
      { indptr: arrays.indptr as Int32Array, indices: arrays.indices as Int32Array, similarity: arrays.similarity as Float32Array },
      params,
    ),
  grid: [
    { neighbours: 100, shrink: 10 },
    { neighbours: 200, shrink: 0 },
    { neighbours: 200, shrink: 50 },
    { neighbours: 50, shrink: 10 },
  ],
  fit: async (data: TrainingData, params, { pace }) =>
    itemKnnModel(data.snapshot.trackIds, await itemNeighbours(data.matrix, params.neighbours!, params.shrink!, pace), params),
};
