import type { Csr } from "../csr";
import { invertSpd } from "../linalg";
import { largest } from "../topk";
import { strongest, type FamilyDefinition, type History, type Model, type Params, type ScoreMoments, type TrainingData } from "./types";

export interface EaseWeights {
  /** the tracks EASE covers (the most listened), by track index */
  items: Int32Array;
  /** B restricted to them, row-major n × n, zero diagonal */
  b: Float32Array;
}

/**
 * EASE (Steck 2019): B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ on binary X, diagonal zero.
 * Its cost grows as n³, so it covers the `maxItems` most listened tracks; others score −∞.
 */
export function fitEase(matrix: Csr, lambda: number, maxItems: number): EaseWeights {
  const listeners = new Float64Array(matrix.cols);
  for (const i of matrix.indices) listeners[i]!++;
  const ranked = Array.from({ length: matrix.cols }, (_, i) => i).filter((i) => listeners[i]! > 0);
  ranked.sort((a, b) => listeners[b]! - listeners[a]! || a - b);
  const items = Int32Array.from(ranked.slice(0, maxItems)).sort();
  const n = items.length;
  const position = new Int32Array(matrix.cols).fill(-1);
  items.forEach((item, p) => (position[item] = p));
  const g = new Float64Array(n * n);
  const row: number[] = [];
  for (let u = 0; u < matrix.rows; u++) {
    row.length = 0;
    for (let q = matrix.indptr[u]!; q < matrix.indptr[u + 1]!; q++) {
      const p = position[matrix.indices[q]!]!;
      if (p >= 0) row.push(p);
    }
    for (const a of row) for (const b of row) g[a * n + b]!++;
  }
  for (let i = 0; i < n; i++) g[i * n + i]! += lambda;
  const p = invertSpd(g, n);
  const b = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -p[i * n + j]! / p[j * n + j]!;
  return { items, b };
}

/** For each track of the catalogue, its row in B (−1: not covered). */
function positions(tracks: number, w: EaseWeights): Int32Array {
  const position = new Int32Array(tracks).fill(-1);
  w.items.forEach((item, p) => (position[item] = p));
  return position;
}

/** Σ over the history's covered tracks i of B[i][·], by position in B, into `row`. */
function easeRow(w: EaseWeights, position: Int32Array, history: History, row: Float32Array): void {
  const n = w.items.length;
  row.fill(0);
  for (const item of history.items) {
    const i = position[item]!;
    if (i < 0) continue;
    const o = i * n;
    for (let j = 0; j < n; j++) row[j]! += w.b[o + j]!;
  }
}

/** Scores from a history: Σ over its covered tracks i of B[i][·]; tracks EASE does not cover get −∞. */
export function easeScorer(tracks: number, w: EaseWeights, position = positions(tracks, w)) {
  const n = w.items.length;
  const row = new Float32Array(n);
  return (history: History, out: Float32Array) => {
    easeRow(w, position, history, row);
    out.fill(Number.NEGATIVE_INFINITY);
    for (let j = 0; j < n; j++) out[w.items[j]!] = row[j]!;
  };
}

export function easeModel(trackIds: Int32Array, w: EaseWeights, params: Params): Model {
  const n = w.items.length;
  const position = positions(trackIds.length, w);
  const row = new Float32Array(n);
  // The last history's row stays until another comes: retrieving and then scoring its candidates sums it once.
  let rowOf: History | null = null;
  const rowFor = (history: History) => {
    if (rowOf !== history) easeRow(w, position, history, row);
    rowOf = history;
    return row;
  };
  return {
    family: "ease",
    params,
    trackIds,
    scoreHistory: easeScorer(trackIds.length, w, position),
    // Its own columns: every track it scores is one of the n it covers, so its best `limit` are exact.
    candidates: (history, limit) => largest(rowFor(history), limit).map((j) => w.items[j]!),
    scoreCandidates: (history, candidates, out): ScoreMoments => {
      rowFor(history);
      for (let k = 0; k < candidates.length; k++) {
        const j = position[candidates[k]!]!;
        out[k] = j < 0 ? Number.NEGATIVE_INFINITY : row[j]!;
      }
      let [sum, sumSq, min] = [0, 0, Number.POSITIVE_INFINITY];
      for (let j = 0; j < n; j++) {
        const v = row[j]!;
        sum += v;
        sumSq += v * v;
        if (v < min) min = v;
      }
      return { finite: n, sum, sumSq, min };
    },
    // Each covered history track's share of the item's score: B[i][item].
    because: (history, item, limit) => {
      const j = position[item]!;
      return strongest(
        history,
        Array.from(history.items, (i) => (j < 0 || position[i]! < 0 ? 0 : w.b[position[i]! * n + j]!)),
        limit,
      );
    },
    artefact: () => ({ meta: {}, arrays: { items: w.items, b: w.b } }),
  };
}

export const ease: FamilyDefinition = {
  family: "ease",
  restore: (trackIds, arrays, params) => easeModel(trackIds, { items: arrays.items as Int32Array, b: arrays.b as Float32Array }, params),
  grid: [
    { lambda: 200, maxItems: 1000 },
    { lambda: 800, maxItems: 1000 },
  ],
  fit: async (data: TrainingData, params, { pace }) => {
    await pace.breathe();
    return easeModel(data.snapshot.trackIds, fitEase(data.matrix, params.lambda!, params.maxItems!), params);
  },
};
