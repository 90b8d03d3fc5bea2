import { randomUUID } from "node:crypto";
import { env } from "../config";
import type { Database } from "../db/client";
import { alertPolicy } from "../pipeline/alerts";
import { servingEngine, type ServingEngine } from "./engine";
import { readListener } from "./listener";
import { servingMetrics } from "./metrics";
import { recommend, similarTracks, type RecommendRequest, type Recommendations, type SimilarTracks } from "./recommend";

// What the REST routes, the tRPC procedures and the console call: one engine per process.

export const engineFor = (database: Database): ServingEngine =>
  servingEngine(database, () => {
    const e = env();
    return { refreshMs: e.SERVING_REFRESH_MS, policy: alertPolicy(e) };
  });

/** The champion's answer (popularity when it cannot be read); `route` labels the fallback counter. */
export async function recommendationsFor(database: Database, request: RecommendRequest, route: string): Promise<Recommendations> {
  const state = await engineFor(database).current();
  const listener = await readListener(database.pool, request.userId, state.champion?.version.id ?? null);
  const answer = recommend(state, state.champion, listener, request, randomUUID());
  if (answer.fallback) servingMetrics().fallbacks.inc({ route });
  return answer;
}

/** What registry version `versionId` would answer now (the console compares versions with it). */
export async function recommendationsOfVersion(database: Database, versionId: number, request: RecommendRequest): Promise<Recommendations> {
  const engine = engineFor(database);
  const [state, served] = await Promise.all([engine.current(), engine.version(versionId)]);
  const listener = await readListener(database.pool, request.userId, versionId);
  return recommend(state, served, listener, request, randomUUID());
}

/** Null for a track the catalogue does not hold. */
export async function similarTo(database: Database, trackId: number, k: number, route: string): Promise<SimilarTracks | null> {
  const state = await engineFor(database).current();
  const answer = similarTracks(state, state.champion, trackId, k, randomUUID());
  if (answer?.fallback) servingMetrics().fallbacks.inc({ route });
  return answer;
}
