import { describe, expect, it } from "vitest";
import { InnerProductIndex } from "./ann";
import { genreCandidates, momentsOf, retrieve, scoreOn, union } from "./candidates";
import { inCatalogue } from "./catalogue";
import { csrFromTriplets } from "./csr";
import { alsModel, fitAls } from "./families/als";
import { easeModel, fitEase } from "./families/ease";
import { hybridModel } from "./families/hybrid";
import { itemKnnModel, itemNeighbours } from "./families/item-knn";
import { popularityModel } from "./families/popularity";
import { rp3betaModel, walkNeighbours } from "./families/rp3beta";
import type { History, Model } from "./families/types";
import { unpaced } from "./pacer";
import { excludeHeard, listenerScores, userScores } from "./scoring";
import { largest, topK } from "./topk";

const sorted = (tracks: Int32Array) => Array.from(tracks).sort((a, b) => a - b);
const history = (items: number[], counts = items.map(() => 1)): History => ({ items: Int32Array.from(items), counts: Float32Array.from(counts) });

describe("candidate sources, by hand", () => {
  it("item-kNN: the neighbours of the history's tracks, best summed similarity first", () => {
    // Track 0's neighbours: 2 (0.9), 3 (0.1); track 1's: 3 (0.5), 4 (0.2); track 4 has none.
    const model = itemKnnModel(
      Int32Array.from([10, 11, 12, 13, 14]),
      {
        indptr: Int32Array.from([0, 2, 4, 4, 4, 4]),
        indices: Int32Array.from([2, 3, 3, 4]),
        similarity: Float32Array.from([0.9, 0.1, 0.5, 0.2]),
      },
      {},
    );
    const h = history([0, 1], [Math.E - 1, Math.E - 1]); // log(1 + count) = 1
    // 2: 0.9, 3: 0.1 + 0.5, 4: 0.2; track 0, 1 unreached.
    expect(sorted(model.candidates!(h, 10))).toEqual([2, 3, 4]);
    expect(sorted(model.candidates!(h, 2))).toEqual([2, 3]);
    const out = new Float32Array(2);
    const moments = model.scoreCandidates!(h, Int32Array.from([3, 0]), out)!;
    expect(out[0]).toBeCloseTo(0.6, 6);
    expect(out[1]).toBe(0);
    // Over all five tracks: 0, 0, 0.9, 0.6, 0.2.
    expect(moments.finite).toBe(5);
    expect(moments.sum).toBeCloseTo(1.7, 6);
    expect(moments.sumSq).toBeCloseTo(0.81 + 0.36 + 0.04, 6);
    expect(moments.min).toBe(0);
  });

  it("ANN: the exact largest inner products on a small set", () => {
    // x = (1, 1): inner products 3, 2.5, −1, 2, 0.5 with these five vectors.
    const vectors = Float32Array.from([1, 2, 2.5, 0, -1, 0, 0.5, 1.5, 0.25, 0.25]);
    const index = new InnerProductIndex(vectors, 2, 42);
    expect(Array.from(index.search([1, 1], 3))).toEqual([0, 1, 3]);
    expect(Array.from(index.search([-1, 0], 1))).toEqual([2]);
    expect(index.search([1, 1], 10).length).toBe(5);
  });

  it("ANN: the same vectors and seed give the same neighbours, and recall is exact on a few hundred", () => {
    let state = 7;
    const next = () => ((state = (state * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const f = 8;
    const vectors = Float32Array.from({ length: 300 * f }, next);
    const query = Array.from({ length: f }, next);
    const exact = topK(
      Float32Array.from({ length: 300 }, (_, i) => query.reduce((s, q, k) => s + q * vectors[i * f + k]!, 0)),
      20,
    );
    const found = new InnerProductIndex(vectors, f, 42).search(query, 20);
    expect(Array.from(found)).toEqual(Array.from(exact));
    expect(Array.from(new InnerProductIndex(vectors, f, 42).search(query, 20))).toEqual(Array.from(found));
  });

  it("ANN: the graph built on a worker thread is the one built here, and the event loop stays free meanwhile", async () => {
    let state = 11;
    const next = () => ((state = (state * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const f = 16;
    const vectors = Float32Array.from({ length: 5_000 * f }, next);
    const query = Array.from({ length: f }, next);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    const background = await InnerProductIndex.inBackground(vectors, f, 42);
    clearInterval(timer);
    const elapsed = performance.now() - started;
    // A build on this thread would let no timer fire until it ended.
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
    expect(Array.from(background.search(query, 100))).toEqual(Array.from(new InnerProductIndex(vectors, f, 42).search(query, 100)));
  });

  it("ALS: the tracks of largest inner product with the folded-in vector, by the graph or by a scan alike", async () => {
    const x = smallMatrix();
    const params = { factors: 3, regularization: 0.1, alpha: 2, iterations: 5, cgSteps: 3 };
    const { items } = await fitAls(x, params, 3, unpaced());
    const trackIds = Int32Array.from({ length: 10 }, (_, i) => 100 + i);
    const h = history([0, 3, 4], [2, 1, 3]);
    const exact = new Float32Array(10);
    alsModel(trackIds, items, params).scoreHistory(h, exact);
    const expected = sorted(topK(exact, 4));
    expect(sorted(alsModel(trackIds, items, params).candidates!(h, 4))).toEqual(expected);
    expect(sorted(alsModel(trackIds, items, params, undefined, 1).candidates!(h, 4))).toEqual(expected);
  });

  it("EASE: the best of its own columns, and −∞ for a track it does not cover", () => {
    // Covers tracks 1 and 3; B = [[0, 2], [−1, 0]] (row i, column j).
    const model = easeModel(Int32Array.from([10, 11, 12, 13]), { items: Int32Array.from([1, 3]), b: Float32Array.from([0, 2, -1, 0]) }, {});
    const h = history([1, 2]);
    expect(sorted(model.candidates!(h, 5))).toEqual([1, 3]);
    expect(sorted(model.candidates!(h, 1))).toEqual([3]);
    const out = new Float32Array(2);
    const moments = model.scoreCandidates!(h, Int32Array.from([0, 3]), out);
    expect(Array.from(out)).toEqual([Number.NEGATIVE_INFINITY, 2]);
    expect(moments).toEqual({ finite: 2, sum: 2, sumSq: 4, min: 0 });
  });

  it("popularity: the most popular tracks", () => {
    const model = popularityModel(Int32Array.from([1, 2, 3, 4]), Float32Array.from([5, 9, 1, 7]), {});
    expect(Array.from(model.candidates!(history([0]), 2))).toEqual([1, 3]);
    expect(Array.from(model.candidates!(history([0]), 9))).toEqual([1, 3, 0, 2]);
  });

  it("genres: the most popular of each favourite genre, whatever the case; all tracks when none is known", () => {
    const catalogue = { trackIds: Int32Array.from([1, 2, 3, 4]), genres: [["Rock", "Pop"], ["jazz"], ["Rock"], []] };
    const popularity = Float32Array.from([5, 3, 2, 9]);
    expect(genreCandidates(catalogue, popularity, ["rock", "JAZZ"]).map((l) => Array.from(l))).toEqual([[0, 2], [1]]);
    expect(genreCandidates(catalogue, popularity, ["Classical"]).map((l) => Array.from(l))).toEqual([[3, 0, 1, 2]]);
  });

  it("a blend's candidates are the union of its families'", () => {
    const knn = itemKnnModel(
      Int32Array.from([1, 2, 3, 4]),
      { indptr: Int32Array.from([0, 1, 1, 1, 1]), indices: Int32Array.from([2]), similarity: Float32Array.from([1]) },
      {},
    );
    const pop = popularityModel(Int32Array.from([1, 2, 3, 4]), Float32Array.from([1, 2, 3, 4]), {});
    const blend = hybridModel([
      { model: knn, weight: 1 },
      { model: pop, weight: 0.5 },
    ]);
    expect(Array.from(blend.candidates!(history([0]), 1))).toEqual([2, 3]);
    expect(Array.from(union([Int32Array.from([3, 1]), Int32Array.from([1, 0])]))).toEqual([0, 1, 3]);
  });

  it("a family retrieves for a blend as one source of several (ALS's graph then searches a narrower beam)", () => {
    const pop = popularityModel(Int32Array.from([1, 2, 3, 4]), Float32Array.from([1, 2, 3, 4]), {});
    const asked: (boolean | undefined)[] = [];
    const spy: Model = {
      ...pop,
      candidates: (h, limit, inBlend) => {
        asked.push(inBlend);
        return pop.candidates!(h, limit);
      },
    };
    spy.candidates!(history([0]), 2);
    hybridModel([{ model: spy, weight: 1 }]).candidates!(history([0]), 2);
    expect(asked).toEqual([undefined, true]);
  });
});

describe("largest", () => {
  it("holds the same tracks as topK, ties at the k-th going to the lower index, −∞ never", () => {
    const scores = Float32Array.from([3, 1, Number.NEGATIVE_INFINITY, 3, 2, 5, 2, 2, 0]);
    expect(sorted(largest(scores, 3))).toEqual([0, 3, 5]);
    expect(sorted(largest(scores, 4))).toEqual([0, 3, 4, 5]);
    expect(sorted(largest(scores, 20))).toEqual([0, 1, 3, 4, 5, 6, 7, 8]);
    // By the heap (k at most an eighth of the tracks): the best, then ties at the k-th to the lower index, NaN never.
    expect(Array.from(largest(scores, 1))).toEqual([5]);
    const tied = Float32Array.from({ length: 16 }, (_, i) => (i === 9 ? 5 : i === 4 ? Number.NaN : 3));
    expect(Array.from(largest(tied, 2))).toEqual([0, 9]);
    let state = 11;
    for (let round = 0; round < 50; round++) {
      const random = Float32Array.from({ length: 500 }, () => ((state = (state * 16807) % 2147483647) % 97) / 7);
      for (const k of [1, 37, 250, 499]) expect(sorted(largest(random, k))).toEqual(sorted(topK(random, k)));
    }
  });
});

/** users × tracks counts, 12 users over 10 tracks, a little structure: even users like even tracks. */
function smallMatrix() {
  const [u, t, v]: [number[], number[], number[]] = [[], [], []];
  for (let user = 0; user < 12; user++)
    for (let track = 0; track < 10; track++)
      if ((user + track) % 2 === 0 ? (user * 7 + track * 3) % 5 !== 0 : (user * 3 + track) % 7 === 0) {
        u.push(user);
        t.push(track);
        v.push(1 + ((user + track) % 3));
      }
  return csrFromTriplets(12, 10, Int32Array.from(u), Int32Array.from(t), Float32Array.from(v));
}

async function fittedModels(): Promise<Model[]> {
  const x = smallMatrix();
  const trackIds = Int32Array.from({ length: 10 }, (_, i) => 100 + i);
  const alsParams = { factors: 3, regularization: 0.1, alpha: 2, iterations: 5, cgSteps: 3 };
  const als = alsModel(trackIds, (await fitAls(x, alsParams, 3, unpaced())).items, alsParams);
  const knn = itemKnnModel(trackIds, await itemNeighbours(x, 3, 1, unpaced()), {});
  const ease = easeModel(trackIds, fitEase(x, 2, 6), {});
  const pop = popularityModel(
    trackIds,
    Float32Array.from({ length: 10 }, (_, i) => (i * 7) % 10),
    {},
  );
  const walk = { alpha: 0.8, beta: 0.3, neighbours: 3 };
  const rp3 = rp3betaModel(trackIds, await walkNeighbours(x, walk, unpaced()), walk);
  const hybrid = hybridModel([
    { model: als, weight: 1 },
    { model: knn, weight: 0.5 },
    { model: ease, weight: 1 },
    { model: pop, weight: 0.5 },
    { model: rp3, weight: 0.5 },
  ]);
  // The one seen through another catalogue last: some tests take the others only.
  return [als, knn, ease, pop, rp3, hybrid, inCatalogue(hybrid, Int32Array.from([99, 100, 101, 103, 104, 105, 106, 107, 108, 109, 110]))];
}

describe("scoring candidates equals scoring the catalogue, on the candidates", () => {
  it("for every family, the blend, and a model seen through another catalogue", async () => {
    const h = history([0, 3, 4], [2, 1, 3]);
    const some = Int32Array.from([1, 2, 5, 6, 7, 8, 9]);
    for (const model of await fittedModels()) {
      const tracks = model.trackIds.length;
      const full = new Float32Array(tracks);
      model.scoreHistory(h, full);
      const out = new Float32Array(some.length);
      model.scoreCandidates!(h, some, out);
      some.forEach((t, k) => expect(out[k], `${model.family} track ${t}`).toBeCloseTo(full[t]!, 5));
      const moments = scoreOn(model, h, some, out, new Float32Array(tracks));
      // A family's moments come from its candidates; a blend's (null) from scoring every track.
      const exact = momentsOf(full);
      expect(moments.finite, model.family).toBe(exact.finite);
      expect(moments.sum, model.family).toBeCloseTo(exact.sum, 4);
      expect(moments.sumSq, model.family).toBeCloseTo(exact.sumSq, 4);
      if (exact.finite < tracks) expect(moments.min, model.family).toBeCloseTo(exact.min, 5);
    }
  });

  it("a listener's top tracks from candidates are the exhaustive ones when the candidates hold them", async () => {
    const catalogue = { trackIds: Int32Array.from({ length: 10 }, (_, i) => 100 + i), genres: Array.from({ length: 10 }, (_, i) => [i % 2 ? "Rock" : "Jazz"]) };
    const popularity = Float32Array.from({ length: 10 }, (_, i) => i);
    const buffers = { scores: new Float32Array(10), scratch: new Float32Array(10) };
    const h = history([0, 3, 4], [2, 1, 3]);
    for (const model of (await fittedModels()).slice(0, -1)) {
      const exhaustive = listenerScores(model, catalogue, popularity, h, ["Rock"], buffers, "exhaustive");
      expect(exhaustive.tracks).toBeNull();
      excludeHeard(exhaustive, h);
      const expected = Array.from(topK(exhaustive.scores, 5));
      const scored = listenerScores(model, catalogue, popularity, h, ["Rock"], buffers, "candidates");
      expect(Array.from(scored.tracks!), model.family).toEqual(Array.from(retrieve(model, catalogue, popularity, h, ["Rock"])!));
      excludeHeard(scored, h);
      expect(
        Array.from(topK(scored.scores, 5), (p) => scored.tracks![p]!),
        model.family,
      ).toEqual(expected);
    }
  });

  it("a light history is ranked over the whole catalogue, blended with genre popularity as before", async () => {
    const catalogue = { trackIds: Int32Array.from({ length: 10 }, (_, i) => 100 + i), genres: Array.from({ length: 10 }, (_, i) => [i % 2 ? "Rock" : "Jazz"]) };
    const popularity = Float32Array.from({ length: 10 }, (_, i) => i);
    const [als] = await fittedModels();
    const h = history([2]);
    const buffers = { scores: new Float32Array(10), scratch: new Float32Array(10) };
    const scored = listenerScores(als!, catalogue, popularity, h, ["Rock"], buffers, "candidates");
    expect(scored.tracks).toBeNull();
    const expected = new Float32Array(10);
    userScores(als!, catalogue, popularity, h, ["Rock"], expected, new Float32Array(10));
    expect(Array.from(scored.scores)).toEqual(Array.from(expected));
  });

  it("a family without candidate methods falls back to exhaustive ranking", async () => {
    const [als] = await fittedModels();
    const { candidates: _c, scoreCandidates: _s, ...plain } = als!;
    const catalogue = { trackIds: als!.trackIds, genres: Array.from({ length: 10 }, () => ["Rock"]) };
    const buffers = { scores: new Float32Array(10), scratch: new Float32Array(10) };
    const scored = listenerScores(plain, catalogue, new Float32Array(10), history([0, 3, 4]), [], buffers, "candidates");
    expect(scored.tracks).toBeNull();
  });
});
