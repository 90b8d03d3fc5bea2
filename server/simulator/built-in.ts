import type { Env } from "../env";
import { catalogueOptions } from "./options";
import { startSimulator, type Simulator } from "./server";

/** The simulator Encore serves itself when MOOVITAMIX_URL is unset. */
export function startBuiltInSimulator(env: Env): Promise<Simulator> {
  return startSimulator({ ...catalogueOptions(env.SIMULATOR_MODE, env.SIMULATOR_SEED), port: env.SIMULATOR_PORT });
}
