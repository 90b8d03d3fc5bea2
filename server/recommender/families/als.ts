import { Random } from "../../lib/random";
import { BLEND_BEAM, InnerProductIndex, SEARCH_BEAM } from "../ann";
import { transpose, type Csr } from "../csr";
import { checkFinite } from "../fit-check";
import { cholesky, solveCholesky } from "../linalg";
import type { Pacer } from "../pacer";
import { largest } from "../topk";
import { strongest, type FamilyDefinition, type History, type Model, type Params, type ScoreMoments, type TrainingData } from "./types";

/**
 * Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008): preference p = 1 for a
 * listened track, confidence c = 1 + alpha·listens; minimises Σ_all c·(p − x_u·y_i)² + λ(‖X‖² + ‖Y‖²).
 * Each half-step solves every row's normal equations with a few conjugate-gradient steps from its
 * previous value, as the `implicit` library does (Takács et al. 2011). Factors are float32.
 */
export interface AlsParams {
  factors: number;
  regularization: number;
  alpha: number;
  iterations: number;
  cgSteps: number;
}

export interface AlsFactors {
  factors: number;
  users: Float32Array;
  items: Float32Array;
  /** the loss after each iteration */
  curve: number[];
}

/** YᵀY + λI for rows of `m` (n × f), in float64. */
export function gram(m: Float32Array, n: number, f: number, lambda: number): Float64Array {
  const g = new Float64Array(f * f);
  for (let r = 0; r < n; r++) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      const va = m[o + a]!;
      if (va === 0) continue;
      for (let b = a; b < f; b++) g[a * f + b]! += va * m[o + b]!;
    }
  }
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < a; b++) g[a * f + b] = g[b * f + a]!;
    g[a * f + a]! += lambda;
  }
  return g;
}

/**
 * One half-step: for each row u of `c` (confidences), x_u ← CG on (YᵀY + λI + Yᵀ(C_u − I)Y) x = Yᵀ C_u p_u,
 * `steps` steps from x_u's current value. Rows without entries get x_u = 0 (the exact solution).
 */
export function solveRows(c: Csr, x: Float32Array, y: Float32Array, f: number, lambda: number, steps: number): void {
  const yty = gram(y, c.cols, f, lambda);
  const r = new Float64Array(f);
  const p = new Float64Array(f);
  const ap = new Float64Array(f);
  const xu = new Float64Array(f);
  for (let u = 0; u < c.rows; u++) {
    const start = c.indptr[u]!;
    const end = c.indptr[u + 1]!;
    const o = u * f;
    if (start === end) {
      x.fill(0, o, o + f);
      continue;
    }
    for (let a = 0; a < f; a++) xu[a] = x[o + a]!;
    // r = b − A·x = −(YᵀY + λI)x + Σ_i (c − (c − 1)·y_i·x) y_i
    for (let a = 0; a < f; a++) {
      let s = 0;
      for (let b = 0; b < f; b++) s += yty[a * f + b]! * xu[b]!;
      r[a] = -s;
    }
    for (let q = start; q < end; q++) {
      const io = c.indices[q]! * f;
      const conf = c.data[q]!;
      let dot = 0;
      for (let a = 0; a < f; a++) dot += y[io + a]! * xu[a]!;
      const w = conf - (conf - 1) * dot;
      for (let a = 0; a < f; a++) r[a]! += w * y[io + a]!;
    }
    p.set(r);
    let rsOld = 0;
    for (let a = 0; a < f; a++) rsOld += r[a]! * r[a]!;
    for (let step = 0; step < steps && rsOld > 1e-20; step++) {
      for (let a = 0; a < f; a++) {
        let s = 0;
        for (let b = 0; b < f; b++) s += yty[a * f + b]! * p[b]!;
        ap[a] = s;
      }
      for (let q = start; q < end; q++) {
        const io = c.indices[q]! * f;
        let dot = 0;
        for (let a = 0; a < f; a++) dot += y[io + a]! * p[a]!;
        const w = (c.data[q]! - 1) * dot;
        for (let a = 0; a < f; a++) ap[a]! += w * y[io + a]!;
      }
      let pAp = 0;
      for (let a = 0; a < f; a++) pAp += p[a]! * ap[a]!;
      const alpha = rsOld / pAp;
      let rsNew = 0;
      for (let a = 0; a < f; a++) {
        xu[a]! += alpha * p[a]!;
        r[a]! -= alpha * ap[a]!;
        rsNew += r[a]! * r[a]!;
      }
      for (let a = 0; a < f; a++) p[a] = r[a]! + (rsNew / rsOld) * p[a]!;
      rsOld = rsNew;
    }
    for (let a = 0; a < f; a++) x[o + a] = xu[a]!;
  }
}

/** The objective: Σ_u [x_uᵀ(YᵀY)x_u + Σ_{i∈u} (c(1 − s)² − s²)] + λ(‖X‖² + ‖Y‖²), s = x_u·y_i; O(nnz·f + U·f²). */
export function alsLoss(c: Csr, x: Float32Array, y: Float32Array, f: number, lambda: number): number {
  const yty = gram(y, c.cols, f, 0);
  let loss = 0;
  for (let u = 0; u < c.rows; u++) {
    const o = u * f;
    for (let a = 0; a < f; a++) {
      let s = 0;
      for (let b = 0; b < f; b++) s += yty[a * f + b]! * x[o + b]!;
      loss += x[o + a]! * s;
    }
    for (let q = c.indptr[u]!; q < c.indptr[u + 1]!; q++) {
      const io = c.indices[q]! * f;
      let s = 0;
      for (let a = 0; a < f; a++) s += x[o + a]! * y[io + a]!;
      const conf = c.data[q]!;
      loss += conf * (1 - s) ** 2 - s * s;
    }
  }
  let norms = 0;
  for (const v of x) norms += v * v;
  for (const v of y) norms += v * v;
  return loss + lambda * norms;
}

/**
 * Fits from small random item factors (as `implicit` does; the first half-step solves the users from
 * them), or from `startItems` (a fit on part of this data) for `iterations` iterations.
 */
export async function fitAls(
  counts: Csr,
  params: AlsParams,
  seed: number,
  pace: Pacer,
  startItems?: Float32Array,
  iterations = params.iterations,
  trackLoss = true,
  onIteration: () => void = () => undefined,
): Promise<AlsFactors> {
  const f = params.factors;
  const cu: Csr = { ...counts, data: counts.data.map((v) => 1 + params.alpha * v) };
  const ci = transpose(cu);
  const random = new Random(seed);
  const users = new Float32Array(counts.rows * f);
  const items = startItems ? Float32Array.from(startItems) : Float32Array.from({ length: counts.cols * f }, () => random.next() * 0.01);
  const curve: number[] = [];
  for (let it = 0; it < iterations; it++) {
    solveRows(cu, users, items, f, params.regularization, params.cgSteps);
    await pace.breathe();
    solveRows(ci, items, users, f, params.regularization, params.cgSteps);
    await pace.breathe();
    if (trackLoss) curve.push(alsLoss(cu, users, items, f, params.regularization));
    onIteration();
  }
  return { factors: f, users, items, curve };
}

/** A user folded in: their factors, and the Cholesky factor L (lower triangle) of YᵀC^uY + λI that solved them. */
export interface FoldedIn {
  x: Float64Array;
  l: Float64Array;
}

/**
 * A user's factors from their history, solved exactly against fixed item factors (the user half-step
 * of ALS for one row): (YᵀY + λI + Yᵀ(C − I)Y) x = YᵀCp. Serves users and listens the fit never saw.
 */
export function foldIn(items: Float32Array, yty: Float64Array, f: number, alpha: number, history: History): FoldedIn {
  const a = Float64Array.from(yty);
  const b = new Float64Array(f);
  for (let p = 0; p < history.items.length; p++) {
    const io = history.items[p]! * f;
    const conf = 1 + alpha * history.counts[p]!;
    for (let i = 0; i < f; i++) {
      const yi = items[io + i]!;
      b[i]! += conf * yi;
      for (let j = 0; j < f; j++) a[i * f + j]! += (conf - 1) * yi * items[io + j]!;
    }
  }
  cholesky(a, f);
  return { x: solveCholesky(a, b, f), l: a };
}

/**
 * Each history track's exact share of `item`'s fold-in score, by history position: x_u = W^u YᵀC^u p(u)
 * makes x_u·y_i = Σ_j c_uj·(y_iᵀW^u y_j) with W^u = (YᵀC^uY + λI)⁻¹ (Hu, Koren & Volinsky 2008, §5; implicit's `explain`).
 * One solve with the fold-in's Cholesky factor, then a dot product per history track.
 */
export function contributions(items: Float32Array, f: number, alpha: number, history: History, folded: FoldedIn, item: number): Float64Array {
  const weighted = solveCholesky(folded.l, items.subarray(item * f, (item + 1) * f), f);
  return Float64Array.from(history.items, (j, p) => {
    let s = 0;
    for (let k = 0; k < f; k++) s += weighted[k]! * items[j * f + k]!;
    return (1 + alpha * history.counts[p]!) * s;
  });
}

/**
 * x·y_i for every track (`rows` null) or for the tracks `rows` lists (out[k] = x·y_rows[k]), four
 * tracks per pass: each value of x loaded serves four products, and four rows are read at once.
 */
export function factorScores(x: Float64Array, items: Float32Array, f: number, out: Float32Array, rows: Int32Array | null = null): void {
  const n = rows ? rows.length : out.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a0 = (rows === null ? i : rows[i]!) * f;
    const a1 = (rows === null ? i + 1 : rows[i + 1]!) * f;
    const a2 = (rows === null ? i + 2 : rows[i + 2]!) * f;
    const a3 = (rows === null ? i + 3 : rows[i + 3]!) * f;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let k = 0; k < f; k++) {
      const xk = x[k]!;
      s0 += xk * items[a0 + k]!;
      s1 += xk * items[a1 + k]!;
      s2 += xk * items[a2 + k]!;
      s3 += xk * items[a3 + k]!;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < n; i++) {
    const a = (rows === null ? i : rows[i]!) * f;
    let s = 0;
    for (let k = 0; k < f; k++) s += x[k]! * items[a + k]!;
    out[i] = s;
  }
}

/**
 * The moments of x·y_i over every track without computing them: Σ_i x·y_i = x·Σ_i y_i and
 * Σ_i (x·y_i)² = xᵀ(YᵀY)x. Scores are never −∞, so `min` is not needed (NaN).
 */
export function factorMoments(x: Float64Array, itemSum: Float64Array, itemGram: Float64Array, tracks: number): ScoreMoments {
  const f = x.length;
  let sum = 0;
  let sumSq = 0;
  for (let a = 0; a < f; a++) {
    sum += x[a]! * itemSum[a]!;
    let s = 0;
    for (let b = 0; b < f; b++) s += itemGram[a * f + b]! * x[b]!;
    sumSq += x[a]! * s;
  }
  return { finite: tracks, sum, sumSq, min: Number.NaN };
}

/** The seed of the nearest-neighbour index: the graph, and so the candidates, are the same in every process. */
const INDEX_SEED = 42;
/**
 * Below this many tracks ALS retrieves by an exact scan of x·y: cheaper there than the graph's
 * search with a beam of a few hundred (bench:candidates, 50,000 tracks), and no index to build.
 */
export const ANN_MIN_TRACKS = 100_000;

/**
 * From this many candidates, a list scored again (a genre's tracks, the same array each time) has
 * its rows gathered once and read in order: scattered over the catalogue, reading them was half
 * the cost of a genre answer at 500,000 tracks (memory stalls, not arithmetic).
 */
export const GATHERED_FROM = 4096;

/** The rows of `items` at `rows`, one after another. */
function gatherRows(items: Float32Array, f: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * f);
  rows.forEach((r, p) => out.set(items.subarray(r * f, (r + 1) * f), p * f));
  return out;
}

/** `annMinTracks`: from how many tracks retrieval searches the graph (tests set it low). */
export function alsModel(trackIds: Int32Array, items: Float32Array, params: Params, curve?: number[], annMinTracks = ANN_MIN_TRACKS): Model {
  const f = params.factors!;
  const tracks = trackIds.length;
  const yty = gram(items, tracks, f, params.regularization!);
  // Scoring a user and explaining their top tracks share one fold-in (histories are not changed once made).
  const solved = new WeakMap<History, FoldedIn>();
  const folded = (history: History) => {
    let user = solved.get(history);
    if (!user) solved.set(history, (user = foldIn(items, yty, f, params.alpha!, history)));
    return user;
  };
  // Built on first retrieval: training and evaluation rank exhaustively and never need them.
  let index: InnerProductIndex | undefined;
  let scanned: Float32Array | undefined;
  let moments: { itemSum: Float64Array; itemGram: Float64Array } | undefined;
  const gathered = new WeakMap<Int32Array, Float32Array>();
  const zero: ScoreMoments = { finite: tracks, sum: 0, sumSq: 0, min: Number.NaN };
  return {
    family: "als",
    params,
    trackIds,
    curve,
    scoreHistory: (history, out) => {
      if (history.items.length === 0) return void out.fill(0);
      factorScores(folded(history).x, items, f, out);
    },
    prepare: async () => {
      if (tracks >= annMinTracks) index ??= await InnerProductIndex.inBackground(items, f, INDEX_SEED);
    },
    // The tracks with the largest inner product with the listener's folded-in vector.
    candidates: (history, limit, inBlend = false) => {
      if (history.items.length === 0) return new Int32Array();
      const { x } = folded(history);
      if (tracks < annMinTracks) {
        scanned ??= new Float32Array(tracks);
        factorScores(x, items, f, scanned);
        return largest(scanned, limit);
      }
      index ??= new InnerProductIndex(items, f, INDEX_SEED);
      return index.search(x, limit, inBlend ? BLEND_BEAM : SEARCH_BEAM);
    },
    scoreCandidates: (history, candidates, out) => {
      if (history.items.length === 0) {
        out.fill(0, 0, candidates.length);
        return zero;
      }
      const { x } = folded(history);
      if (candidates.length < GATHERED_FROM) factorScores(x, items, f, out, candidates);
      else {
        let rows = gathered.get(candidates);
        if (!rows) gathered.set(candidates, (rows = gatherRows(items, f, candidates)));
        factorScores(x, rows, f, out.subarray(0, candidates.length));
      }
      if (!moments) {
        const itemSum = new Float64Array(f);
        for (let i = 0; i < tracks; i++) for (let a = 0; a < f; a++) itemSum[a]! += items[i * f + a]!;
        moments = { itemSum, itemGram: gram(items, tracks, f, 0) };
      }
      return factorMoments(x, moments.itemSum, moments.itemGram, tracks);
    },
    because: (history, item, limit) => strongest(history, contributions(items, f, params.alpha!, history, folded(history), item), limit),
    artefact: () => ({ meta: {}, arrays: { items } }),
  };
}

const asAls = (p: Params): AlsParams => ({
  factors: p.factors!,
  regularization: p.regularization!,
  alpha: p.alpha!,
  iterations: p.iterations!,
  cgSteps: p.cgSteps!,
});

export const als: FamilyDefinition = {
  family: "als",
  restore: (trackIds, arrays, params) => alsModel(trackIds, arrays.items as Float32Array, params),
  grid: [
    { factors: 24, regularization: 0.05, alpha: 4, iterations: 10, cgSteps: 3 },
    { factors: 24, regularization: 0.05, alpha: 16, iterations: 10, cgSteps: 3 },
  ],
  // Warm from a fit on most of the same data (the test split's), a third of the iterations reach the same loss.
  // Candidates are compared after 60% of the iterations, without the loss curve: their ranking settles early, and tuning is most of the cost.
  iterations: (params, stage, warm) =>
    warm ? Math.ceil(params.iterations! / 3) : stage === "validation" ? Math.ceil(params.iterations! * 0.6) : params.iterations!,
  fit: async (data: TrainingData, params, { pace, warm, stage, onIteration }) => {
    const start = warm?.artefact().arrays.items as Float32Array | undefined;
    const fitted = await fitAls(
      data.matrix,
      asAls(params),
      data.seed,
      pace,
      start,
      als.iterations!(params, stage, start !== undefined),
      stage !== "validation",
      onIteration,
    );
    // The user factors are not stored (users are folded in when served), so the session's check of the artefact never sees them: as implicit, both are checked.
    checkFinite("als", params, { users: fitted.users });
    return alsModel(data.snapshot.trackIds, fitted.items, params, fitted.curve);
  },
};
