import { describe, expect, it, vi } from "vitest";
import { partsOf } from "../recommender/artefacts";
import type { Scoring } from "../recommender/candidates";
import { GATHERED_FROM } from "../recommender/families/als";
import { itemKnnModel } from "../recommender/families/item-knn";
import { tracksOfGenre, type ServingCatalogue } from "./catalogue";
import { TextColumn } from "../lib/text-column";
import type { ServedModel, ServingState } from "./engine";
import type { ListenerData } from "./listener";
import { ThreadRanker } from "./ranker";
import { fromScratch, genresToWarm, recommend, scratchRequest, servedModels, warmUp } from "./recommend";

// 40 tracks, ids 1000 + index: Rock (index % 4 = 0), Pop (1), Jazz (2), Folk (3); popularity = index.
const TRACKS = 40;
const genreOf = (i: number) => ["Rock", "Pop", "Jazz", "Folk"][i % 4]!;

function catalogue(): ServingCatalogue {
  const trackIds = Int32Array.from({ length: TRACKS }, (_, i) => 1000 + i);
  const genres = Array.from({ length: TRACKS }, (_, i) => [genreOf(i)]);
  return {
    trackIds,
    names: TextColumn.of(Array.from({ length: TRACKS }, (_, i) => `track ${i}`)),
    artists: TextColumn.of(Array.from({ length: TRACKS }, () => "someone")),
    genres,
    genreKeys: genres.map((g) => g.map((name) => name.toLowerCase())),
    popularity: Float32Array.from({ length: TRACKS }, (_, i) => i),
  };
}

/** Item-kNN where each track's neighbours are the Rock and Pop tracks among the next twelve (never Jazz). */
function served(): ServedModel {
  const indptr = new Int32Array(TRACKS + 1);
  const indices: number[] = [];
  const similarity: number[] = [];
  for (let i = 0; i < TRACKS; i++) {
    for (let step = 1; step <= 12; step++) {
      const j = (i + step) % TRACKS;
      if (j % 4 < 2) {
        indices.push(j);
        similarity.push(1 / step);
      }
    }
    indptr[i + 1] = indices.length;
  }
  const trackIds = Int32Array.from({ length: TRACKS }, (_, i) => 1000 + i);
  return {
    version: { id: 1, family: "item_knn" },
    model: itemKnnModel(trackIds, { indptr, indices: Int32Array.from(indices), similarity: Float32Array.from(similarity) }, {}),
  };
}

function state(scoring: Scoring, champion: ServedModel): ServingState {
  return {
    catalogue: catalogue(),
    champion,
    experiments: [],
    failure: null,
    unservable: new Map(),
    scoring,
    scores: new Float32Array(TRACKS),
    scratch: new Float32Array(TRACKS),
    similar: new Map(),
  };
}

const listener: ListenerData = {
  known: true,
  favouriteGenres: ["Folk"],
  heard: { trackIds: [1000, 1001, 1004, 1005], counts: [3, 1, 2, 1] },
  disliked: [1008],
  batch: null,
  exposures: new Map(),
};

describe("answers computed at request time from candidates", () => {
  const champion = served();
  const answer = (scoring: Scoring, genre?: string, k = 5) =>
    recommend(state(scoring, champion), champion, listener, { userId: 7, k, ...(genre && { genre }) }, "request").items.map((item) => ({
      trackId: item.trackId,
      score: item.score,
    }));

  it("are the exhaustive answer: the same tracks, scores and order, heard and disliked ones left out", () => {
    const fromCandidates = answer("candidates");
    expect(fromCandidates).toEqual(answer("exhaustive"));
    expect(fromCandidates).toHaveLength(5);
    for (const { trackId } of fromCandidates) expect([1000, 1001, 1004, 1005, 1008]).not.toContain(trackId);
  });

  it("with a genre filter the candidates satisfy, are the exhaustive answer", () => {
    // The Pop tracks the history reaches: 1009, 1013, 1017 (1001 and 1005 heard).
    const pop = answer("candidates", "pop", 3);
    expect(pop).toEqual(answer("exhaustive", "pop", 3));
    expect(pop.map((t) => t.trackId)).toEqual([1009, 1013, 1017]);
  });

  it("with a genre filter that leaves fewer than k candidates (Jazz: no neighbour, not a favourite), rank every track as before", () => {
    const jazz = answer("candidates", "jazz");
    expect(jazz).toEqual(answer("exhaustive", "jazz"));
    expect(jazz.map((t) => t.trackId)).toEqual([1002, 1006, 1010, 1014, 1018]);
  });

  it("with a genre of fewer unheard tracks than k (Folk: 10), every one of them, ranked as over every track", () => {
    const folk = answer("candidates", "folk", 12);
    expect(folk).toEqual(answer("exhaustive", "folk", 12));
    expect(folk.map((t) => t.trackId)).toEqual(Array.from({ length: 10 }, (_, j) => 1003 + 4 * j));
  });
});

describe("a genre's tracks", () => {
  it("are the catalogue indices listing it, ascending, each once; none for a genre no track has", () => {
    const catalogue = { genreKeys: [["rock", "rock"], ["pop"], ["rock", "pop"]] };
    expect(Array.from(tracksOfGenre(catalogue, "rock"))).toEqual([0, 2]);
    expect(Array.from(tracksOfGenre(catalogue, "pop"))).toEqual([1, 2]);
    expect(tracksOfGenre(catalogue, "jazz")).toHaveLength(0);
  });
});

describe("warming a state up", () => {
  it("leaves its answers as a cold state gives them, with a model, without one, and on an empty catalogue", () => {
    const champion = served();
    for (const model of [champion, null]) {
      const cold = state("candidates", champion);
      const warm = state("candidates", champion);
      warmUp(warm, servedModels(warm));
      for (const genre of [undefined, "jazz", "pop"]) {
        const request = { userId: 7, k: 5, ...(genre && { genre }) };
        expect(recommend(warm, model, listener, request, "r")).toEqual(recommend(cold, model, listener, request, "r"));
      }
    }
    const empty = { ...state("candidates", champion), champion: null, scores: new Float32Array(), scratch: new Float32Array() };
    empty.catalogue = {
      ...catalogue(),
      trackIds: new Int32Array(),
      names: TextColumn.of([]),
      artists: TextColumn.of([]),
      genres: [],
      genreKeys: [],
      popularity: new Float32Array(),
    };
    expect(() => warmUp(empty, servedModels(empty))).not.toThrow();
  });
});

describe("the genres warmed", () => {
  it("are the first and those large enough to be gathered, however many small genres there are", () => {
    const tracks = 2 * GATHERED_FROM + 5_000;
    // Two large genres ("jazz" listed twice on its tracks, and once with "pop"), then 5,000 of one track each.
    const genreKeys = Array.from({ length: tracks }, (_, t) =>
      t < GATHERED_FROM ? ["rock"] : t < 2 * GATHERED_FROM ? ["jazz", t === 2 * GATHERED_FROM - 1 ? "pop" : "jazz"] : [`tag${t}`],
    );
    expect(genresToWarm({ genreKeys }, "tag9000")).toEqual(["tag9000", "rock", "jazz"]);
    expect(genresToWarm({ genreKeys }, "rock")).toEqual(["rock", "jazz"]);
    expect(genresToWarm({ genreKeys: genreKeys.slice(0, GATHERED_FROM - 1) }, undefined)).toEqual([]);
  });
});

describe("ranking on a thread", () => {
  it("gives the event loop's answers, heard and disliked tracks left out, and survives the thread's death", async () => {
    const champion = served();
    const loaded = state("candidates", champion);
    const started = await ThreadRanker.create("candidates", 2);
    if ("unavailable" in started) throw new Error(started.unavailable);
    const ranker = started;
    try {
      await ranker.load(loaded, new Map([[champion.version.id, partsOf(champion.model)]]));
      const requests = [undefined, "jazz", "pop", "folk"].flatMap((genre) =>
        [5, 12].map((k) => scratchRequest(loaded.catalogue, listener, { userId: 7, k, ...(genre && { genre }) })),
      );
      const here = state("candidates", champion);
      const expected = requests.map((request) => [fromScratch(here, champion.model, request), fromScratch(here, null, request)]);
      const onThread = () => Promise.all(requests.map((request) => Promise.all([ranker.rank(loaded, champion, request), ranker.rank(loaded, null, request)])));
      expect(await onThread()).toEqual(expected);
      expect(expected[0]![0]!.map((p) => loaded.catalogue.trackIds[p.index])).not.toContain(1008);

      // A thread dies: a new one is started with the same catalogue and models.
      await ranker["threads"][0]!["worker"].terminate();
      await vi.waitFor(async () => expect(await onThread()).toEqual(expected), { timeout: 20_000 });
    } finally {
      await ranker.close();
    }
  }, 30_000);
});
