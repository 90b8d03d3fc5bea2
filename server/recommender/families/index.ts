import { als } from "./als";
import { ease } from "./ease";
import { itemKnn } from "./item-knn";
import { popularity } from "./popularity";
import { rp3beta } from "./rp3beta";
import type { Family, FamilyDefinition } from "./types";

/**
 * Every family a train run fits, by name (the blend, `hybrid`, is made of them). A new family is its
 * file and its line here; its name in FAMILIES (types.ts) makes the compiler ask for this line.
 * The longest first: they take the two worker threads in this order.
 */
const DEFINITIONS: Record<Exclude<Family, "hybrid">, FamilyDefinition> = { als, ease, item_knn: itemKnn, rp3beta, popularity };

export const BASE_FAMILIES: FamilyDefinition[] = Object.values(DEFINITIONS);

export function familyDefinition(family: string): FamilyDefinition {
  const definition = BASE_FAMILIES.find((d) => d.family === family);
  if (!definition) throw new Error(`no model family ${family}`);
  return definition;
}
