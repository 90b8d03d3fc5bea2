import type { Experiment } from "../db/generated/client";

// Assignment as GrowthBook's SDK does it (growthbook/packages/sdk-js/src/util.ts, hashing version 2),
// so an experiment defined here splits users exactly as the SDK would.

/** 32-bit FNV-1a over UTF-16 code units, as the SDK computes it. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h += (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24);
  }
  return h >>> 0;
}

/** The SDK's unbiased hash (version 2): a number in [0, 1) with 4 decimals. */
const hashV2 = (seed: string, value: string) => (fnv32a(String(fnv32a(seed + value))) % 10000) / 10000;

/** Namespaces hash with version 1 on "__" + the namespace: experiments with disjoint ranges of one namespace never share a user. */
const namespaceHash = (namespace: string, value: string) => (fnv32a(`${value}__${namespace}`) % 1000) / 1000;

export interface AssignmentDesign {
  seed: string;
  /** summing to 1 */
  weights: readonly number[];
  /** share of users included, 0 to 1 */
  coverage: number;
  /** [name, start, end): the part of the namespace this experiment owns */
  namespace?: readonly [string, number, number] | null;
}

/** The design of a stored experiment, its variants in their order. */
export function designOf(
  experiment: Pick<Experiment, "seed" | "coverage" | "namespace" | "namespaceStart" | "namespaceEnd"> & { variants: readonly { weight: number }[] },
): AssignmentDesign {
  const { seed, coverage, namespace, namespaceStart, namespaceEnd, variants } = experiment;
  return { seed, weights: variants.map((v) => v.weight), coverage, namespace: namespace ? [namespace, namespaceStart, namespaceEnd] : null };
}

/** Each variant's [start, end) of the hash: its weight's slice, of which `coverage` is used. */
function bucketRanges(weights: readonly number[], coverage: number): [number, number][] {
  let cumulative = 0;
  return weights.map((w) => {
    const start = cumulative;
    cumulative += w;
    return [start, start + coverage * w];
  });
}

/** The variant index for a user, or −1 when they are not in the experiment. */
export function assignVariant(design: AssignmentDesign, userId: number | string): number {
  const id = String(userId);
  if (design.namespace) {
    const n = namespaceHash(design.namespace[0], id);
    if (n < design.namespace[1] || n >= design.namespace[2]) return -1;
  }
  const n = hashV2(design.seed, id);
  return bucketRanges(design.weights, design.coverage).findIndex(([start, end]) => n >= start && n < end);
}
