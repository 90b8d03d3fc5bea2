import { describe, expect, it } from "vitest";
import { csrFromTriplets, transpose } from "../csr";
import { invertSpd } from "../linalg";
import { alsLoss, alsModel, contributions, fitAls, foldIn, gram, solveRows } from "./als";
import { fitEase } from "./ease";
import { itemKnnModel, itemNeighbours, neighbourScores } from "./item-knn";
import { blendNdcg, searchWeights, standardise, type BlendUser } from "./hybrid";
import { NeighbourRows, popularityOrder } from "./neighbours";
import { rp3betaModel, walkNeighbours } from "./rp3beta";
import { unpaced } from "../pacer";
import { Random } from "../../lib/random";
import { strongest } from "./types";

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

describe("strongest", () => {
  it("is the first `limit` of the positive contributions sorted best first, ties to the lower track", () => {
    const random = new Random(3);
    for (let round = 0; round < 200; round++) {
      const size = Math.floor(random.next() * 40);
      // Few distinct values, so ties are common; some zero, negative or NaN (never a reason).
      const values = Array.from({ length: size }, () => [Math.floor(random.next() * 6) - 1, Number.NaN][random.next() < 0.1 ? 1 : 0]!);
      const items = Int32Array.from({ length: size }, () => Math.floor(random.next() * 1000));
      const limit = Math.floor(random.next() * 5);
      const sorted = values
        .map((v, p) => ({ v, item: items[p]! }))
        .filter((c) => c.v > 0)
        .sort((a, b) => b.v - a.v || a.item - b.item)
        .slice(0, limit)
        .map((c) => c.item);
      expect(Array.from(strongest({ items, counts: new Float32Array(size) }, values, limit))).toEqual(sorted);
    }
  });
});

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

describe("neighbour rows", () => {
  it("keep the k best of a track's offers, ties to the lower index, in whatever order they are offered", () => {
    const offers: [number, number][] = [
      [5, 0.5],
      [3, 0.9],
      [8, 0.5],
      [1, 0.5],
      [9, 0.7],
      [2, 0.1],
    ];
    // By hand: 0.9 (track 3), 0.7 (track 9), then the tie at 0.5 goes to track 1 over 5 and 8.
    const expected = { indices: [3, 9, 1], similarity: [0.9, 0.7, 0.5] };
    for (const order of [offers, [...offers].reverse(), [offers[2]!, offers[0]!, offers[3]!, offers[5]!, offers[4]!, offers[1]!]]) {
      const rows = new NeighbourRows(1, 3);
      for (const [track, sim] of order) rows.offer(track, sim);
      rows.endRow();
      const n = rows.result();
      expect({ indices: Array.from(n.indices), similarity: Array.from(n.similarity, (v) => Number(v.toFixed(6))) }).toEqual(expected);
    }
  });

  it("popularity order ranks tracks by listeners (ties: the lower index) and relabels the matrix's columns", () => {
    const m = matrix(
      [
        [
          [0, 1],
          [2, 1],
        ],
        [
          [2, 1],
          [3, 1],
        ],
        [
          [2, 4],
          [3, 1],
        ],
      ],
      4,
    );
    const order = popularityOrder(m, transpose(m));
    expect(Array.from(order.track)).toEqual([2, 3, 0, 1]);
    expect(Array.from(order.rank)).toEqual([2, 3, 0, 1]);
    expect(Array.from(order.columns)).toEqual(Array.from(m.indices, (j) => order.rank[j]!));
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

  it("scores a long candidate list (a genre's tracks) as it scores every track, also when its rows were gathered before", () => {
    const random = new Random(5);
    const [tracks, f] = [20_000, 3];
    const items = Float32Array.from({ length: tracks * f }, () => random.next() - 0.5);
    // Retrieval is never asked: no graph (annMinTracks ∞).
    const model = alsModel(
      Int32Array.from({ length: tracks }, (_, i) => i),
      items,
      { factors: f, regularization: 0.1, alpha: 2 },
      undefined,
      Infinity,
    );
    const history = { items: Int32Array.from([3, 17, 900]), counts: Float32Array.from([4, 1, 2]) };
    const all = new Float32Array(tracks);
    model.scoreHistory(history, all);
    const members = Int32Array.from({ length: tracks }, (_, i) => i).filter((i) => i % 3 === 1);
    for (const round of [1, 2]) {
      // Longer than the list, as the blend's buffer is: nothing past the list is written.
      const out = new Float32Array(members.length + 5).fill(-7);
      model.scoreCandidates!(history, members, out);
      expect(Array.from(out.subarray(0, members.length)), `round ${round}`).toEqual(Array.from(members, (i) => all[i]!));
      expect(Array.from(out.subarray(members.length))).toEqual([-7, -7, -7, -7, -7]);
    }
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

  /** A user of the blend search: candidates 0..n−1, each component's scores of them, the held-out ones. */
  const user = (z: number[][], relevant: number[]): BlendUser => ({
    candidates: Int32Array.from(z[0]!, (_, i) => i),
    z: z.map((scores) => Float32Array.from(scores)),
    relevant: new Set(relevant),
  });

  it("finds an interior weight where neither component alone nor an even blend is best", async () => {
    // With weights (w, 1 − w): user 1's held-out track 2 (0.8 from both) leads only for w in (0.2, 0.8);
    // user 2's held-out track 0 beats track 1 (1.5 from B) only for w > 0.6. Both are first only for w in (0.6, 0.8).
    const users = [
      user(
        [
          [1, 0, 0.8],
          [0, 1, 0.8],
        ],
        [2],
      ),
      user(
        [
          [1, 0],
          [0, 1.5],
        ],
        [0],
      ),
    ];
    const second = 1 / Math.log2(3);
    expect(blendNdcg(users, [1, 0])).toBeCloseTo((second + 1) / 2, 12);
    expect(blendNdcg(users, [0, 1])).toBeCloseTo(second, 12);
    expect(blendNdcg(users, [0.5, 0.5])).toBeCloseTo((1 + second) / 2, 12);
    const { weights, ndcg } = await searchWeights(users, 2, unpaced());
    expect(ndcg).toBe(1);
    expect(weights[0]).toBeGreaterThan(0.6);
    expect(weights[0]).toBeLessThan(0.8);
    expect(weights[0]! + weights[1]!).toBeCloseTo(1, 12);
  });

  it("never ends below the best single component, and the same users give the same weights", async () => {
    // A seeded generator: 200 users, 4 components of which the first two carry some signal.
    let state = 12345;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const users = Array.from({ length: 200 }, () => {
      const relevant = [0, 1, 2].filter(() => random() < 0.5);
      const z = [0.8, 0.4, 0, 0].map((signal) => Array.from({ length: 30 }, (_, i) => random() + (i < 3 ? signal * random() : 0)));
      return user(z, relevant);
    });
    const singles = [0, 1, 2, 3].map((k) =>
      blendNdcg(
        users,
        [0, 1, 2, 3].map((c) => (c === k ? 1 : 0)),
      ),
    );
    const found = await searchWeights(users, 4, unpaced());
    expect(found.ndcg).toBeGreaterThanOrEqual(Math.max(...singles));
    expect(found.ndcg).toBeCloseTo(blendNdcg(users, found.weights), 12);
    expect(await searchWeights(users, 4, unpaced())).toEqual(found);
  });
});

describe("rp3beta", () => {
  // 4 listeners × 4 tracks, listens: listener 0 heard track 0 twice and track 1 once, and so on.
  const walk = matrix(
    [
      [
        [0, 2],
        [1, 1],
      ],
      [
        [1, 1],
        [2, 1],
        [3, 2],
      ],
      [
        [0, 1],
        [2, 3],
      ],
      [[1, 1]],
    ],
    4,
  );
  const [alpha, beta] = [0.5, 0.5];

  /** W_ij = Σ_u (1/listeners_i)^α · (listens_uj / listens_u)^α / listeners_j^β on the dense matrix, i ≠ j. */
  function dense(): number[][] {
    const listens = [
      [2, 1, 0, 0],
      [0, 1, 1, 2],
      [1, 0, 3, 0],
      [0, 1, 0, 0],
    ];
    const listeners = [0, 1, 2, 3].map((j) => listens.filter((row) => row[j]! > 0).length);
    const totals = listens.map((row) => row.reduce((a, b) => a + b, 0));
    return [0, 1, 2, 3].map((i) =>
      [0, 1, 2, 3].map((j) => {
        if (i === j) return 0;
        let w = 0;
        listens.forEach((row, u) => {
          if (row[i]! > 0) w += (1 / listeners[i]!) ** alpha * (row[j]! / totals[u]!) ** alpha;
        });
        return w / listeners[j]! ** beta;
      }),
    );
  }

  it("the walk's weights match a hand computation", async () => {
    const n = await walkNeighbours(walk, { alpha, beta, neighbours: 3 }, unpaced());
    const w = dense();
    // By hand: track 0 → listener 0 (½ of track 0's 2 listeners) → track 1 (1 of listener 0's 3 listens), penalised by track 1's 3 listeners;
    // track 0 → listener 2 → track 2 (3 of 4 listens), track 2 has 2 listeners.
    expect(w[0]![1]).toBeCloseTo((Math.sqrt(1 / 2) * Math.sqrt(1 / 3)) / Math.sqrt(3), 12);
    expect(w[0]![2]).toBeCloseTo((Math.sqrt(1 / 2) * Math.sqrt(3 / 4)) / Math.sqrt(2), 12);
    for (let i = 0; i < 4; i++) {
      const row = Array.from(n.indices.subarray(n.indptr[i]!, n.indptr[i + 1]!));
      for (let j = 0; j < 4; j++) {
        const at = row.indexOf(j);
        expect(at >= 0 ? n.similarity[n.indptr[i]! + at]! : 0).toBeCloseTo(w[i]![j]!, 6);
      }
    }
    // Track 3 was heard only by listener 1, with tracks 1 and 2.
    expect(Array.from(n.indices.subarray(n.indptr[3]!, n.indptr[4]!)).sort()).toEqual([1, 2]);
  });

  it("keeps the strongest neighbours, scores a history by the walk from it, and explains by each track's share", async () => {
    const n = await walkNeighbours(walk, { alpha, beta, neighbours: 1 }, unpaced());
    const w = dense();
    // Track 1 reaches 0, 2 and 3: only the strongest stays.
    const strongest = [0, 2, 3].reduce((a, b) => (w[1]![b]! > w[1]![a]! ? b : a));
    expect(Array.from(n.indices.subarray(n.indptr[1]!, n.indptr[2]!))).toEqual([strongest]);
    const full = await walkNeighbours(walk, { alpha, beta, neighbours: 3 }, unpaced());
    const model = rp3betaModel(Int32Array.from([10, 11, 12, 13]), full, { alpha, beta, neighbours: 3 });
    // Heard track 0 three times and track 1 once: P(0|u) = ¾, P(1|u) = ¼.
    const history = { items: Int32Array.from([0, 1]), counts: Float32Array.from([3, 1]) };
    const out = new Float32Array(4);
    model.scoreHistory(history, out);
    for (const j of [2, 3]) expect(out[j]).toBeCloseTo(Math.sqrt(3 / 4) * w[0]![j]! + Math.sqrt(1 / 4) * w[1]![j]!, 6);
    // Track 3 is reached only through track 1; track 2 through both, more through track 0 (¾ of the listens, the larger weight).
    expect(w[0]![2]! * Math.sqrt(3 / 4)).toBeGreaterThan(w[1]![2]! * Math.sqrt(1 / 4));
    expect(Array.from(model.because(history, 3, 2))).toEqual([1]);
    expect(Array.from(model.because(history, 2, 2))).toEqual([0, 1]);
  });
});
