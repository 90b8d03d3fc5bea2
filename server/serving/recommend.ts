import type { z } from "zod";
import type { Scoring } from "../recommender/candidates";
import { GATHERED_FROM } from "../recommender/families/als";
import type { History, Model } from "../recommender/families/types";
import { reasonFor, type Reason } from "../recommender/reasons";
import { scoreOn } from "../recommender/candidates";
import { genrePopularity, LIGHT_HISTORY, listenerScores, userScores } from "../recommender/scoring";
import { topK } from "../recommender/topk";
import { positionIn } from "../lib/sorted-search";
import { genreMembers, tracksOfGenre, type RankingCatalogue, type ServingCatalogue } from "./catalogue";
import type { ServedModel, ServingState } from "./engine";
import type { ListenerData } from "./listener";
import { MAX_K, type recommendationsSchema, type similarSchema } from "./schemas";

export type Recommendations = z.output<typeof recommendationsSchema>;
export type SimilarTracks = z.output<typeof similarSchema>;

export interface RecommendRequest {
  userId: number;
  k: number;
  genre?: string;
}

/** What ranking from scratch reads: the catalogue's ranking parts and scratch arrays (a ranking thread holds just these). */
export interface RankingState {
  catalogue: RankingCatalogue;
  /** how answers computed at request time rank (SCORING) */
  scoring: Scoring;
  /** scratch for scoring one request at a time (scoring is synchronous) */
  scores: Float32Array;
  scratch: Float32Array;
}

/** A listener as ranking from scratch sees them, in catalogue indices. */
export interface ScratchRequest {
  history: History;
  favouriteGenres: string[];
  /** tracks never recommended (heard or disliked) */
  blocked: Int32Array;
  /** lower-cased */
  genre?: string;
  k: number;
}

/** A track chosen for an answer; from scratch, with why (a batch row's stored reasons cover its first tracks). */
export interface Picked {
  index: number;
  score: number;
  reason?: Reason;
}

/** A listener's listening in catalogue indices (tracks no longer served drop out). */
function historyIn(catalogue: ServingCatalogue, heard: ListenerData["heard"]): History {
  const items: number[] = [];
  const counts: number[] = [];
  heard.trackIds.forEach((trackId, p) => {
    const i = positionIn(catalogue.trackIds, trackId);
    if (i >= 0) {
      items.push(i);
      counts.push(heard.counts[p]!);
    }
  });
  return { items: Int32Array.from(items), counts: Float32Array.from(counts) };
}

function reasonText(reason: Reason, catalogue: ServingCatalogue) {
  switch (reason.kind) {
    case "history": {
      const names = reason.trackIds.flatMap((id) => {
        const i = positionIn(catalogue.trackIds, id);
        return i < 0 ? [] : [`“${catalogue.names.at(i)}”`];
      });
      return {
        kind: reason.kind,
        text: names.length ? `Because you listened to ${names.join(" and ")}` : "Because of what you listened to",
        trackIds: reason.trackIds,
      };
    }
    case "genre":
      return { kind: reason.kind, text: `Popular in ${reason.genre}`, trackIds: [] };
    case "popular":
      return { kind: reason.kind, text: "Popular with listeners now", trackIds: [] };
  }
}

/** Appends the best of `scores` not yet picked until there are `k`, scored below the last one so ranks and scores agree. */
function backfill(scores: Float32Array, picked: { index: number; score: number }[], k: number): void {
  for (const p of picked) scores[p.index] = Number.NEGATIVE_INFINITY;
  const floor = picked.at(-1)?.score ?? 0;
  topK(scores, k - picked.length).forEach((i, j) => picked.push({ index: i, score: floor - (j + 1) }));
}

/**
 * A track of an answer, as one literal. Not `{ ...track, rank }`: Node 20's V8 puts an object made
 * by a spread and then more properties straight in the old generation, and those items were most of
 * what filled it at 500 requests/s, a full collection every 10 s (docs/benchmarks.md).
 */
const trackItem = (catalogue: ServingCatalogue, i: number, rank: number, score: number) => ({
  trackId: catalogue.trackIds[i]!,
  name: catalogue.names.at(i)!,
  artist: catalogue.artists.at(i)!,
  genres: catalogue.genres[i]!,
  rank,
  score,
});

/** Sets the blocked tracks' scores to −∞ (scores by catalogue index). */
function mask(scores: Float32Array, blocked: Int32Array): void {
  for (const i of blocked) scores[i] = Number.NEGATIVE_INFINITY;
}

/**
 * The top `k` of the genre's tracks, as ranking every track and masking the others would give (the
 * genre's tracks are ascending, so ties still go to the lower index), at the cost of the genre's
 * size: a model that scores candidates scores just them (`scoreMembers`: the blend's scores of any
 * tracks are its scores over the whole catalogue), else every track is scored once and the genre's
 * read. Backfilled with the genre's most listened tracks.
 */
function rankGenre(
  state: RankingState,
  model: Model | null,
  { history, favouriteGenres, blocked, k }: ScratchRequest,
  genre: string,
  scoreMembers: boolean,
): Picked[] {
  const { catalogue, scores, scratch } = state;
  const members = tracksOfGenre(catalogue, genre);
  const values = scratch.subarray(0, members.length);
  if (model && scoreMembers) {
    // A blend's scoreCandidates returns no moments, which scoreOn would take for "cannot": called itself.
    if (model.scoreCandidates) model.scoreCandidates(history, members, values);
    else scoreOn(model, history, members, values, scores);
  } else {
    if (model) userScores(model, catalogue, catalogue.popularity, history, favouriteGenres, scores, scratch);
    else genrePopularity(catalogue, catalogue.popularity, favouriteGenres, scores);
    for (let p = 0; p < members.length; p++) values[p] = scores[members[p]!]!;
  }
  const drop = (index: number) => {
    const p = positionIn(members, index);
    if (p >= 0) values[p] = Number.NEGATIVE_INFINITY;
  };
  const dropBlocked = () => {
    for (const i of blocked) drop(i);
  };
  dropBlocked();
  const picked = Array.from(topK(values, k), (p) => ({ index: members[p]!, score: values[p]! }));
  if (picked.length < k) {
    // The model or the favourite genres rank fewer than k: the most listened of the rest follow.
    for (let p = 0; p < members.length; p++) values[p] = catalogue.popularity[members[p]!]!;
    dropBlocked();
    for (const { index } of picked) drop(index);
    const floor = picked.at(-1)?.score ?? 0;
    topK(values, k - picked.length).forEach((p, j) => picked.push({ index: members[p]!, score: floor - (j + 1) }));
  }
  return picked;
}

/** A listener's listening and what they must never be offered, in catalogue indices. */
export function scratchRequest(catalogue: ServingCatalogue, listener: ListenerData, request: RecommendRequest): ScratchRequest {
  const history = historyIn(catalogue, listener.heard);
  const blocked = new Set<number>(history.items);
  for (const id of listener.disliked) {
    const i = positionIn(catalogue.trackIds, id);
    if (i >= 0) blocked.add(i);
  }
  return {
    history,
    favouriteGenres: listener.favouriteGenres,
    blocked: Int32Array.from(blocked),
    ...(request.genre !== undefined && { genre: request.genre.toLowerCase() }),
    k: request.k,
  };
}

const inGenre = (catalogue: RankingCatalogue, i: number, genre: string | undefined) => genre === undefined || catalogue.genreKeys[i]!.includes(genre);

/**
 * The top `k` from the listener's batch row of `served`, or null when too few of it survive the
 * filters. Read straight from the listener's track ids: most answers are this one, and building the
 * listener's history in catalogue indices would cost more than the answer.
 */
export function fromBatch(state: ServingState, served: ServedModel | null, listener: ListenerData, request: RecommendRequest): Picked[] | null {
  if (!served || !listener.batch) return null;
  const { catalogue } = state;
  const { batch } = listener;
  const blocked = new Set([...listener.heard.trackIds, ...listener.disliked]);
  const genre = request.genre?.toLowerCase();
  const picked: Picked[] = [];
  for (let p = 0; p < batch.trackIds.length && picked.length < request.k; p++) {
    const trackId = batch.trackIds[p]!;
    const i = blocked.has(trackId) ? -1 : positionIn(catalogue.trackIds, trackId);
    if (i >= 0 && inGenre(catalogue, i, genre)) picked.push({ index: i, score: batch.scores[p]!, reason: batch.reasons[p] });
  }
  return picked.length < request.k ? null : picked;
}

/**
 * The top `k` scored now by `model` (null: popularity, the fallback) from all the listener's
 * listening, each with why. Synchronous and catalogue-sized: a ranking thread runs it off the event loop.
 */
export function fromScratch(state: RankingState, model: Model | null, request: ScratchRequest): Picked[] {
  const { catalogue, scores, scratch } = state;
  const { history, favouriteGenres, blocked, genre, k } = request;
  const blockedSet = new Set(blocked);
  const allowed = (i: number) => !blockedSet.has(i) && inGenre(catalogue, i, genre);
  let picked: Picked[] = [];
  const buffers = { scores, scratch };
  const score = (m: Model, scoring: Scoring) => listenerScores(m, catalogue, catalogue.popularity, history, favouriteGenres, buffers, scoring);
  // A genre filter leaves too few of a listener's candidates more often than not (60% of the time at
  // 500,000 tracks: they span the genres the listener hears): the genre's tracks are ranked at once.
  const byMembers =
    genre !== undefined && model !== null && state.scoring === "candidates" && history.items.length >= LIGHT_HISTORY && model.candidates !== undefined;
  const scored = model && !byMembers ? score(model, state.scoring) : null;
  if (scored?.tracks) {
    const { tracks } = scored;
    for (let p = 0; p < tracks.length; p++) if (!allowed(tracks[p]!)) scored.scores[p] = Number.NEGATIVE_INFINITY;
    picked = Array.from(topK(scored.scores, k), (p) => ({ index: tracks[p]!, score: scored.scores[p]! }));
    // Too few candidates pass the filters (a genre the listener seldom hears): every track (of the genre) is ranked instead.
    if (picked.length < k) picked = [];
  }
  if (picked.length === 0 && genre !== undefined) picked = rankGenre(state, model, request, genre, byMembers || (scored?.tracks ?? null) !== null);
  else if (picked.length === 0) {
    if (model && scored?.tracks) score(model, "exhaustive");
    if (!model) genrePopularity(catalogue, catalogue.popularity, favouriteGenres, scores);
    mask(scores, blocked);
    picked = Array.from(topK(scores, k), (i) => ({ index: i, score: scores[i]! }));
    if (picked.length < k) {
      // The model or the favourite genres rank fewer than k: the most listened of the rest follow.
      scores.set(catalogue.popularity);
      mask(scores, blocked);
      backfill(scores, picked, k);
    }
  }
  for (const p of picked) p.reason = reasonFor(model, catalogue, history, p.index, favouriteGenres);
  return picked;
}

/** The answer made of `picked` (tracks by catalogue index) for this listener; `history` when the caller built it. */
export function answerOf(
  state: ServingState,
  served: ServedModel | null,
  listener: ListenerData,
  request: RecommendRequest,
  picked: Picked[],
  requestId: string,
  history?: History,
): Recommendations {
  const { catalogue } = state;
  // Built only for a track without a stored reason (past the batch row's first ones).
  const historyNow = () => (history ??= historyIn(catalogue, listener.heard));
  return {
    userId: request.userId,
    requestId,
    model: served ? { version: served.version.id, family: served.version.family } : null,
    // No track of the listener's in the catalogue: what their history in catalogue indices would say.
    coldStart: !listener.heard.trackIds.some((id) => positionIn(catalogue.trackIds, id) >= 0),
    fallback: served === null,
    experiment: null,
    items: picked.map((p, rank) =>
      Object.assign(trackItem(catalogue, p.index, rank + 1, p.score), {
        reason: reasonText(p.reason ?? reasonFor(served?.model ?? null, catalogue, historyNow(), p.index, listener.favouriteGenres), catalogue),
      }),
    ),
  };
}

/**
 * The top `k` for a listener from `served` (null: popularity, the fallback), on this thread. Taken
 * from the version's batch scores when enough of them survive the filters, else scored now from all
 * their listening. Never a track they heard (however recently), disliked, or that is no longer in the catalogue.
 */
export function recommend(
  state: ServingState,
  served: ServedModel | null,
  listener: ListenerData,
  request: RecommendRequest,
  requestId: string,
): Recommendations {
  const picked = fromBatch(state, served, listener, request);
  if (picked) return answerOf(state, served, listener, request, picked, requestId);
  const scratch = scratchRequest(state.catalogue, listener, request);
  return answerOf(state, served, listener, request, fromScratch(state, served?.model ?? null, scratch), requestId, scratch.history);
}

/**
 * Answers a made-up listener (the three most listened tracks heard) with each model the state
 * serves, without a genre filter and with its genres: what answers build on first use (genre lists and
 * candidates, ALS's moments, scratch arrays) is then built before the state serves, not inside
 * a listener's request (the first ones stalled a process 330–680 ms at 50,000 tracks).
 */
export function warmUp(state: RankingState, models: Iterable<Model | null>): void {
  const { catalogue } = state;
  const top = topK(catalogue.popularity, LIGHT_HISTORY);
  const first = top.length ? catalogue.genres[top[0]!]![0] : undefined;
  const request: ScratchRequest = {
    history: { items: top, counts: new Float32Array(top.length).fill(1) },
    favouriteGenres: first ? [first] : [],
    blocked: top,
    k: 20,
  };
  // With the most k allows: too many for the candidates, so every track of the genre (or, without one, of the catalogue) is ranked.
  const genres = genresToWarm(catalogue, first ? first.toLowerCase() : undefined);
  const widest = genres.length ? genres.map((genre) => ({ ...request, k: MAX_K, genre })) : [{ ...request, k: MAX_K }];
  for (const model of models) for (const r of [request, ...widest]) fromScratch(state, model, r);
}

/**
 * `first`, and every genre whose first answer gathers its tracks' rows (ALS, from GATHERED_FROM
 * tracks: 15–30 ms at 500,000 tracks): at most tracks / GATHERED_FROM of them, however many genres
 * the catalogue names. A smaller genre's first answer costs what any other does.
 */
export function genresToWarm(catalogue: Pick<ServingCatalogue, "genreKeys">, first: string | undefined): string[] {
  const large = [...genreMembers(catalogue)].filter(([genre, members]) => members.length >= GATHERED_FROM && genre !== first);
  return [...(first === undefined ? [] : [first]), ...large.map(([genre]) => genre)];
}

/** Every model a state answers with (null: popularity, when there is no champion). */
export const servedModels = (state: ServingState): Set<Model | null> =>
  new Set([state.champion, ...state.experiments.flatMap((e) => e.variants.map((v) => v.served))].map((s) => s?.model ?? null));

/** Tracks whose similar tracks are kept per state (about 800 bytes each). */
const SIMILAR_CACHED = 20_000;

/** "More like this": the tracks `served` scores highest for someone who heard only this one; null for a track not in the catalogue. */
export function similarTracks(state: ServingState, served: ServedModel | null, trackId: number, k: number, requestId: string): SimilarTracks | null {
  const { catalogue } = state;
  const index = positionIn(catalogue.trackIds, trackId);
  if (index < 0) return null;
  const useCache = served === state.champion;
  let ranked = useCache ? state.similar.get(index) : undefined;
  if (!ranked) {
    const { scores } = state;
    // Without a model: the most listened tracks sharing a genre with it.
    if (served) served.model.scoreHistory({ items: Int32Array.of(index), counts: Float32Array.of(1) }, scores);
    else genrePopularity(catalogue, catalogue.popularity, catalogue.genres[index]!, scores);
    scores[index] = Number.NEGATIVE_INFINITY;
    const picked = Array.from(topK(scores, MAX_K), (i) => ({ index: i, score: scores[i]! }));
    scores.set(catalogue.popularity);
    scores[index] = Number.NEGATIVE_INFINITY;
    backfill(scores, picked, MAX_K);
    ranked = { indices: Int32Array.from(picked, (p) => p.index), scores: Float32Array.from(picked, (p) => p.score) };
    if (useCache) {
      if (state.similar.size >= SIMILAR_CACHED) state.similar.clear();
      state.similar.set(index, ranked);
    }
  }
  return {
    trackId,
    requestId,
    model: served ? { version: served.version.id, family: served.version.family } : null,
    fallback: served === null,
    items: Array.from(ranked.indices.subarray(0, k), (i, rank) => trackItem(catalogue, i, rank + 1, ranked.scores[rank]!)),
  };
}
