import type { Db } from "../db/client";
import type { Env } from "../config/env";
import { createApiKey, revokeApiKey } from "../serving/api-keys";
import { catalogueOptions } from "./options";
import { startSimulator, type Simulator } from "./server";

/** The simulator Encore serves itself when MOOVITAMIX_URL is unset. */
export function startBuiltInSimulator(env: Env): Promise<Simulator> {
  return startSimulator({ ...catalogueOptions(env.SIMULATOR_MODE, env.SIMULATOR_SEED), port: env.SIMULATOR_PORT });
}

export const BUILT_IN_KEY_NAME = "built-in simulator";

/**
 * The built-in simulator's listeners ask this Encore for recommendations, as the app's users would:
 * a key of their own (a new one at each start; the previous ones are revoked), never shown.
 */
export async function wireToEncore(simulator: Simulator, db: Db, encoreUrl: string): Promise<void> {
  const live = await db.apiKey.findMany({ where: { name: BUILT_IN_KEY_NAME, revokedAt: null }, select: { id: true } });
  const actor = { email: "encore" };
  for (const { id } of live) await revokeApiKey(db, id, actor);
  const { key } = await createApiKey(db, { name: BUILT_IN_KEY_NAME, scopes: ["recommendations:read", "events:write"] }, actor);
  simulator.setRecommender({ url: encoreUrl, apiKey: key });
}
