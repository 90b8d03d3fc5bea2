import { describe, expect, it } from "vitest";
import { csrFromTriplets, transpose } from "../csr";
import { invertSpd } from "../linalg";
import { alsLoss, alsModel, contributions, fitAls, foldIn, gram, solveRows } from "./als";
import { fitEase } from "./ease";
import { itemKnnModel, itemNeighbours, neighbourScores } from "./item-knn";
import { standardise } from "./hybrid";
import { unpaced } from "../pacer";

/** users × tracks counts from rows of [track, count] pairs */
function matrix(rows: [number, number][][], tracks: number) {
  const u: number[] = [];
  const t: number[] = [];
  const v: number[] = [];
  rows.forEach((row, user) => {
    for (const [track, count] of row) {
      u.push(user);
      t.push(track);
      v.push(count);
    }
  });
  return csrFromTriplets(rows.length, tracks, Int32Array.from(u), Int32Array.from(t), Float32Array.from(v));
}

/** Gauss–Jordan inverse with partial pivoting: another way than the Cholesky the code uses. */
function gaussJordan(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const d = m[c]![c]!;
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = m[r]![c]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= factor * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

const X = matrix(
  [
    [
      [0, 3],
      [1, 1],
      [2, 2],
    ],
    [
      [0, 1],
      [2, 1],
    ],
    [
      [1, 4],
      [3, 1],
    ],
    [
      [0, 2],
      [1, 1],
      [3, 5],
    ],
    [
      [2, 1],
      [3, 1],
      [4, 2],
    ],
  ],
  5,
);

describe("item_knn", () => {
  it("cosine with shrinkage on log(1 + listens) matches a hand computation", async () => {
    const w = (c: number) => Math.log1p(c);
    // Tracks 0 and 2 are shared by users 0 (3 and 2 listens), 1 (1 and 1); track 0 also by user 3 (2), track 2 by user 4 (1).
    const dot = w(3) * w(2) + w(1) * w(1);
    const norm0 = Math.sqrt(w(3) ** 2 + w(1) ** 2 + w(2) ** 2);
    const norm2 = Math.sqrt(w(2) ** 2 + w(1) ** 2 + w(1) ** 2);
    const n = await itemNeighbours(X, 4, 10, unpaced());
    const of0 = Array.from(n.indices.subarray(n.indptr[0]!, n.indptr[1]!));
    const sim02 = n.similarity[n.indptr[0]! + of0.indexOf(2)]!;
    expect(sim02).toBeCloseTo(dot / (norm0 * norm2 + 10), 6);
    // Track 4 shares no listener with track 0: no neighbour.
    expect(of0).not.toContain(4);
    // Neighbours come best first.
    const sims = Array.from(n.similarity.subarray(n.indptr[0]!, n.indptr[1]!));
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    // A history scores Σ w·sim.
    const out = new Float32Array(5);
    neighbourScores(n, { items: Int32Array.from([0]), counts: Float32Array.from([3]) }, out);
    expect(out[2]).toBeCloseTo(w(3) * sim02, 6);
    // The reason: the history tracks with the largest w·sim towards the item, best first; none without a shared listener.
    const model = itemKnnModel(Int32Array.from([10, 11, 12, 13, 14]), n, {});
    const history = { items: Int32Array.from([0, 1]), counts: Float32Array.from([3, 1]) };
    const share = (i: number, c: number) => {
      const at = Array.from(n.indices.subarray(n.indptr[i]!, n.indptr[i + 1]!)).indexOf(2);
      return at < 0 ? 0 : w(c) * n.similarity[n.indptr[i]! + at]!;
    };
    const expected = [
      [0, share(0, 3)],
      [1, share(1, 1)],
    ]
      .filter(([, v]) => v! > 0)
      .sort((a, b) => b[1]! - a[1]!)
      .map(([i]) => i);
    expect(Array.from(model.because(history, 2, 2))).toEqual(expected);
    expect(Array.from(model.because(history, 4, 2))).toEqual([]);
  });
});

describe("ease", () => {
  it("matches the closed form B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, computed by Gauss–Jordan", () => {
    const lambda = 2;
    const dense = Array.from({ length: 5 }, () => Array.from({ length: 5 }, () => 0));
    for (let u = 0; u < X.rows; u++) {
      const items = X.indices.subarray(X.indptr[u]!, X.indptr[u + 1]!);
      for (const a of items) for (const b of items) dense[a]![b]!++;
    }
    for (let i = 0; i < 5; i++) dense[i]![i]! += lambda;
    const p = gaussJordan(dense);
    const { items, b } = fitEase(X, lambda, 10);
    expect(Array.from(items)).toEqual([0, 1, 2, 3, 4]);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(b[i * 5 + j]).toBeCloseTo(i === j ? 0 : -p[i]![j]! / p[j]![j]!, 5);
  });

  it("caps the catalogue at the most listened tracks (ties: the lower index)", () => {
    // Tracks 0 to 3 have 3 listeners each, track 4 one.
    expect(Array.from(fitEase(X, 1, 3).items)).toEqual([0, 1, 2]);
    expect(Array.from(fitEase(X, 1, 4).items)).toEqual([0, 1, 2, 3]);
  });

  it("the Cholesky inverse is an inverse", () => {
    const a = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2];
    const inv = invertSpd(Float64Array.from(a), 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * inv[k * 3 + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });
});

describe("als", () => {
  const params = { factors: 3, regularization: 0.1, alpha: 2, iterations: 8, cgSteps: 3 };

  it("the loss falls at every iteration", async () => {
    const { curve } = await fitAls(X, params, 7, unpaced());
    for (let i = 1; i < curve.length; i++) expect(curve[i]).toBeLessThanOrEqual(curve[i - 1]! + 1e-6);
    expect(curve.at(-1)).toBeLessThan(curve[0]!);
  });

  it("with enough CG steps a half-step equals the direct solve of each user's normal equations", async () => {
    const f = 3;
    const { items } = await fitAls(X, params, 7, unpaced());
    const conf = { ...X, data: X.data.map((v) => 1 + params.alpha * v) };
    const users = new Float32Array(X.rows * f);
    solveRows(conf, users, items, f, params.regularization, 50);
    const yty = gram(items, X.cols, f, params.regularization);
    for (let u = 0; u < X.rows; u++) {
      const direct = foldIn(items, yty, f, params.alpha, {
        items: X.indices.subarray(X.indptr[u]!, X.indptr[u + 1]!),
        counts: X.data.subarray(X.indptr[u]!, X.indptr[u + 1]!),
      }).x;
      for (let k = 0; k < f; k++) expect(users[u * f + k]).toBeCloseTo(direct[k]!, 4);
    }
  });

  it("the loss computed by the O(nnz·f) identity equals the sum over every user–track pair", async () => {
    const f = 3;
    const { items } = await fitAls(X, params, 7, unpaced());
    const conf = { ...X, data: X.data.map((v) => 1 + params.alpha * v) };
    const users = new Float32Array(X.rows * f);
    solveRows(conf, users, items, f, params.regularization, 3);
    let brute = 0;
    for (let u = 0; u < X.rows; u++)
      for (let i = 0; i < X.cols; i++) {
        let s = 0;
        for (let k = 0; k < f; k++) s += users[u * f + k]! * items[i * f + k]!;
        const at = Array.from(X.indices.subarray(X.indptr[u]!, X.indptr[u + 1]!)).indexOf(i);
        const c = at >= 0 ? conf.data[X.indptr[u]! + at]! : 1;
        brute += c * ((at >= 0 ? 1 : 0) - s) ** 2;
      }
    let norms = 0;
    for (const v of users) norms += v * v;
    for (const v of items) norms += v * v;
    expect(alsLoss(conf, users, items, f, params.regularization)).toBeCloseTo(brute + params.regularization * norms, 6);
    expect(transpose(transpose(X)).indices).toEqual(X.indices);
  });

  // Hu, Koren & Volinsky 2008, §5: x_u·y_i = Σ_j c_uj·y_iᵀW^u y_j, W^u = (YᵀC^uY + λI)⁻¹ (implicit's `explain`).
  it("explains a score exactly: one factor, by hand", () => {
    // y = (1, 2, 0.5), λ = 0.5, α = 1; heard track 0 ten times (c = 11) and track 1 twice (c = 3).
    // W⁻¹ = ΣY² + λ + Σ(c − 1)y² = 5.25 + 0.5 + 10·1 + 2·4 = 23.75; track 2's shares: 11·0.5·1/23.75 and 3·0.5·2/23.75.
    const model = alsModel(Int32Array.from([10, 11, 12]), Float32Array.from([1, 2, 0.5]), { factors: 1, regularization: 0.5, alpha: 1 });
    const history = { items: Int32Array.from([0, 1]), counts: Float32Array.from([10, 2]) };
    const shares = contributions(
      Float32Array.from([1, 2, 0.5]),
      1,
      1,
      history,
      foldIn(Float32Array.from([1, 2, 0.5]), Float64Array.from([5.75]), 1, 1, history),
      2,
    );
    expect(shares[0]).toBeCloseTo(5.5 / 23.75, 12);
    expect(shares[1]).toBeCloseTo(3 / 23.75, 12);
    const scores = new Float32Array(3);
    model.scoreHistory(history, scores);
    expect(scores[2]).toBeCloseTo(8.5 / 23.75, 6);
    // Track 0 explains more though track 1 points more its way (y·y: 1 against 0.5): its ten listens weigh.
    expect(Array.from(model.because(history, 2, 2))).toEqual([0, 1]);
  });

  it("explains a fitted model's scores exactly: the shares sum to the fold-in's score and rank as the dense W^u computes them", async () => {
    const f = 3;
    const { items } = await fitAls(X, params, 7, unpaced());
    const model = alsModel(Int32Array.from([0, 1, 2, 3, 4]), items, params);
    const history = { items: Int32Array.from([0, 1, 3]), counts: Float32Array.from([2, 1, 5]) };
    const confidence = [1, 1, 1, 1, 1];
    history.items.forEach((j, p) => (confidence[j] = 1 + params.alpha * history.counts[p]!));
    // YᵀC^uY + λI over every track (C = 1 off the history), inverted.
    const a = new Float64Array(f * f);
    for (let t = 0; t < 5; t++) for (let r = 0; r < f; r++) for (let c = 0; c < f; c++) a[r * f + c]! += confidence[t]! * items[t * f + r]! * items[t * f + c]!;
    for (let r = 0; r < f; r++) a[r * f + r]! += params.regularization;
    const w = invertSpd(a, f);
    const scores = new Float32Array(5);
    model.scoreHistory(history, scores);
    const folded = foldIn(items, gram(items, 5, f, params.regularization), f, params.alpha, history);
    for (const item of [2, 4]) {
      const dense = Array.from(history.items, (j) => {
        let s = 0;
        for (let r = 0; r < f; r++) for (let c = 0; c < f; c++) s += items[item * f + r]! * w[r * f + c]! * items[j * f + c]!;
        return confidence[j]! * s;
      });
      const shares = contributions(items, f, params.alpha, history, folded, item);
      dense.forEach((d, p) => expect(shares[p]).toBeCloseTo(d, 8));
      expect(shares.reduce((s, v) => s + v, 0)).toBeCloseTo(scores[item]!, 6);
      const ranked = [0, 1, 2]
        .filter((p) => dense[p]! > 0)
        .sort((x, y) => dense[y]! - dense[x]!)
        .map((p) => history.items[p]!);
      expect(Array.from(model.because(history, item, 3))).toEqual(ranked);
    }
  });
});

describe("hybrid", () => {
  it("standardises finite scores and puts −∞ at the lowest", () => {
    const s = Float32Array.from([1, 2, 3, Number.NEGATIVE_INFINITY]);
    standardise(s);
    const sd = Math.sqrt(2 / 3);
    expect(Array.from(s)).toEqual([-1 / sd, 0, 1 / sd, -1 / sd].map((v) => Math.fround(v)));
  });
});
