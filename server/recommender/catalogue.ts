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
  // One mapped history per history, so the model's per-history caches (ALS's fold-in) serve retrieval, scoring and reasons alike.
  const mapped = new WeakMap<History, History>();
  const intoModel = (history: History): History => {
    let inModel = mapped.get(history);
    if (inModel) return inModel;
    const keep = Array.from(history.items.keys()).filter((p) => toModel[history.items[p]!]! >= 0);
    inModel = { items: Int32Array.from(keep, (p) => toModel[history.items[p]!]!), counts: Float32Array.from(keep, (p) => history.counts[p]!) };
    mapped.set(history, inModel);
    return inModel;
  };
  const { candidates, scoreCandidates } = model;
  let candidateScores = new Float32Array();
  return {
    ...model,
    trackIds,
    candidates:
      candidates &&
      ((history, limit) =>
        candidates(intoModel(history), limit)
          .map((t) => fromModel[t]!)
          .filter((t) => t >= 0)),
    scoreCandidates:
      scoreCandidates &&
      ((history, wanted, out) => {
        const known = wanted.filter((t) => toModel[t]! >= 0);
        if (candidateScores.length < known.length) candidateScores = new Float32Array(known.length);
        const moments = scoreCandidates(
          intoModel(history),
          known.map((t) => toModel[t]!),
          candidateScores,
        );
        for (let k = 0, j = 0; k < wanted.length; k++) out[k] = toModel[wanted[k]!]! >= 0 ? candidateScores[j++]! : Number.NEGATIVE_INFINITY;
        return moments;
      }),
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
