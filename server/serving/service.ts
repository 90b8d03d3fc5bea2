import { randomUUID } from "node:crypto";
import { env } from "../config/env";
import type { Database } from "../db/client";
import { alertPolicy } from "../pipeline/alerts";
import { assignVariant } from "../experiments/assignment";
import { servingEngine, type RunningExperiment, type ServingEngine, type ServingState } from "./engine";
import { readListener } from "./listener";
import { servingMetrics } from "./request-metrics";
import { answerOf, fromBatch, scratchRequest, similarTracks, type RecommendRequest, type Recommendations, type SimilarTracks } from "./recommend";
import type { ListenerData } from "./listener";
import type { ServedModel } from "./engine";
import { storeOf } from "../storage/open";

// What the REST routes, the tRPC procedures and the console call: one engine per process.

export const engineFor = (database: Database): ServingEngine =>
  servingEngine(database, () => {
    const e = env();
    return { refreshMs: e.SERVING_REFRESH_MS, policy: alertPolicy(e), store: storeOf(e), scoring: e.SCORING, rankingThreads: e.RANKING_THREADS };
  });

/** From the listener's batch row, else ranked from scratch by the engine's ranker (off the event loop). */
async function answer(engine: ServingEngine, state: ServingState, served: ServedModel | null, listener: ListenerData, request: RecommendRequest) {
  const picked = fromBatch(state, served, listener, request);
  if (picked) return answerOf(state, served, listener, request, picked, randomUUID());
  const scratch = scratchRequest(state.catalogue, listener, request);
  return answerOf(state, served, listener, request, await engine.rank(state, served, scratch), randomUUID(), scratch.history);
}

interface Placement {
  experiment: RunningExperiment;
  variant: RunningExperiment["variants"][number];
}

/**
 * Which experiment serves the user: the first where they were exposed before (their variant stays
 * theirs, whatever the weights are now), else the first whose assignment includes them.
 */
function place(state: ServingState, engine: ServingEngine, userId: number, stored: ReadonlyMap<number, string>): Placement | null {
  for (const experiment of state.experiments) {
    const key = stored.get(experiment.id) ?? engine.exposures.variantOf(experiment.id, userId);
    const variant = experiment.variants.find((v) => v.key === key);
    if (variant) return { experiment, variant };
  }
  for (const experiment of state.experiments) {
    const index = assignVariant(experiment.design, userId);
    if (index >= 0) return { experiment, variant: experiment.variants[index]! };
  }
  return null;
}

/**
 * The answer of the champion (popularity when it cannot be read), or of the user's variant when a
 * running experiment includes them. Only listeners in `users` take part (an unknown id's outcome
 * cannot be followed), and only `expose` records the exposure: the app's own requests, not the
 * console looking at a listener. `route` labels the fallback counter.
 */
export async function recommendationsFor(database: Database, request: RecommendRequest, route: string, { expose = true } = {}): Promise<Recommendations> {
  const engine = engineFor(database);
  const state = await engine.current();
  const guess = place(state, engine, request.userId, new Map());
  let listener = await readListener(database.pool, request.userId, (guess?.variant.served ?? state.champion)?.version.id ?? null);
  const placement = !listener.known ? null : listener.exposures.size ? place(state, engine, request.userId, listener.exposures) : guess;
  const served = placement?.variant.served ?? state.champion;
  // Rare: a stored variant other than the hash's (weights changed since), or an unknown listener the hash placed: read that version's batch instead.
  if (served !== (guess?.variant.served ?? state.champion)) listener = await readListener(database.pool, request.userId, served?.version.id ?? null);
  const answered = await answer(engine, state, served, listener, request);
  if (placement) {
    answered.experiment = { key: placement.experiment.key, variant: placement.variant.key };
    if (expose)
      engine.exposures.record(
        placement.experiment.id,
        request.userId,
        placement.variant.key,
        answered.items.map((i) => i.trackId),
      );
  }
  if (answered.fallback) servingMetrics().fallbacks.inc({ route });
  return answered;
}

/**
 * Running experiments this process cannot serve (a variant's model cannot be read), with why; their
 * listeners get the champion. Empty until it has served: the console never loads models itself.
 */
export function unservableExperiments(database: Database): ReadonlyMap<string, string> {
  return engineFor(database).peek()?.unservable ?? new Map();
}

/**
 * Whether this process answers recommendations without first loading its models; asking starts the
 * load. Readiness includes it, so a load balancer sends listeners only to processes that answer at once.
 */
export function servingLoaded(database: Database): boolean {
  const engine = engineFor(database);
  engine.warm();
  return engine.peek() !== null;
}

/** What registry version `versionId` would answer now (the console compares versions with it). */
export async function recommendationsOfVersion(database: Database, versionId: number, request: RecommendRequest): Promise<Recommendations> {
  const engine = engineFor(database);
  const [state, served] = await Promise.all([engine.current(), engine.version(versionId)]);
  const listener = await readListener(database.pool, request.userId, versionId);
  return answer(engine, state, served, listener, request);
}

/** Null for a track the catalogue does not hold. */
export async function similarTo(database: Database, trackId: number, k: number, route: string): Promise<SimilarTracks | null> {
  const state = await engineFor(database).current();
  const answer = similarTracks(state, state.champion, trackId, k, randomUUID());
  if (answer?.fallback) servingMetrics().fallbacks.inc({ route });
  return answer;
}
