import { ORIGINAL_SIZES, REALISTIC_SIZES, type CatalogueOptions, type SimulatorMode } from "./catalogue";

/** Today's midnight (UTC): the same seed gives the same data all day, and the data looks fresh. */
export const todayUtc = () => new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);

export function catalogueOptions(mode: SimulatorMode, seed: number, sizes: Partial<Omit<CatalogueOptions, "mode" | "seed">> = {}): CatalogueOptions {
  return { mode, seed, ...(mode === "original" ? ORIGINAL_SIZES : REALISTIC_SIZES), epoch: todayUtc(), ...sizes };
}
