import type { History, Model } from "./families/types";

/** For each track of catalogue `from`, its position in catalogue `to` (−1 when absent); both are sorted track ids. */
function catalogueMap(from: Int32Array, to: Int32Array): Int32Array {
  const map = new Int32Array(from.length).fill(-1);
  for (let i = 0, j = 0; i < from.length && j < to.length; ) {
    if (from[i]! === to[j]!) map[i++] = j++;
    else if (from[i]! < to[j]!) i++;
    else j++;
  }
  return map;
}

const sameCatalogue = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * `model` seen through another catalogue (e.g. a champion trained on an older snapshot): histories
 * are mapped into its catalogue by track id, its scores back; tracks it never saw score −∞.
 */
export function inCatalogue(model: Model, trackIds: Int32Array): Model {
  if (sameCatalogue(model.trackIds, trackIds)) return model;
  const toModel = catalogueMap(trackIds, model.trackIds);
  const fromModel = catalogueMap(model.trackIds, trackIds);
  const scores = new Float32Array(model.trackIds.length);
  const intoModel = (history: History): History => {
    const keep = Array.from(history.items.keys()).filter((p) => toModel[history.items[p]!]! >= 0);
    return { items: Int32Array.from(keep, (p) => toModel[history.items[p]!]!), counts: Float32Array.from(keep, (p) => history.counts[p]!) };
  };
  return {
    ...model,
    trackIds,
    scoreHistory: (history: History, out: Float32Array) => {
      model.scoreHistory(intoModel(history), scores);
      out.fill(Number.NEGATIVE_INFINITY);
      for (let i = 0; i < scores.length; i++) if (fromModel[i]! >= 0) out[fromModel[i]!] = scores[i]!;
    },
    because: (history, item, limit) => {
      const inModel = toModel[item]!;
      if (inModel < 0) return new Int32Array();
      return model.because(intoModel(history), inModel, limit).map((t) => fromModel[t]!);
    },
  };
}
