import type { Csr } from "../csr";
import type { Pacer } from "../pacer";
import type { Listens } from "../split";
import type { Snapshot } from "../snapshot";

export const FAMILIES = ["popularity", "item_knn", "als", "ease", "rp3beta", "hybrid"] as const;
export type Family = (typeof FAMILIES)[number];

export type Params = Record<string, number>;

/** Where a fit serves: choosing hyperparameters, the reported test numbers, or the stored model. */
export type FitStage = "validation" | "test" | "final";
export type TypedArrays = Record<string, Float32Array | Int32Array | Float64Array>;

/** What every family fits on: training listens as a count matrix, the listens themselves, the catalogue. */
export interface TrainingData {
  /** users × tracks, listen counts */
  matrix: Csr;
  listens: Listens;
  snapshot: Snapshot;
  seed: number;
}

/** A user's listening as a model sees it: track indices (in the model's catalogue) and listen counts. */
export interface History {
  items: Int32Array;
  counts: Float32Array;
}

/**
 * A fitted model. It scores every track of its catalogue (`trackIds`, by index) from a listening
 * history, so it serves users it never saw and listens that arrived after it was trained.
 */
export interface Model {
  family: Family;
  params: Params;
  trackIds: Int32Array;
  scoreHistory(history: History, out: Float32Array): void;
  /**
   * Retrieval: at most about `limit` tracks (model indices, no duplicates) among which its best
   * scores lie, found without scoring the catalogue. Absent: the family ranks exhaustively.
   * `inBlend`: one source among a blend's, whose other sources hold most of what it would miss (an
   * approximate search may then look less far).
   */
  candidates?(history: History, limit: number, inBlend?: boolean): Int32Array;
  /**
   * `out[k]` = the score `scoreHistory` gives `candidates[k]`, without scoring the rest; returns the
   * moments of the whole score vector, which a blend standardises by (null: not known without scoring
   * every track, as for a blend). Absent: `scoreOn` (candidates.ts) falls back to `scoreHistory`.
   */
  scoreCandidates?(history: History, candidates: Int32Array, out: Float32Array): ScoreMoments | null;
  /** Builds now what retrieval keeps (ALS's nearest-neighbour index, off the event loop) instead of on the first listener. */
  prepare?(): Promise<void>;
  /**
   * The tracks of the history (model indices) that raise `item`'s score most, best first, at most
   * `limit`; empty when its score does not come from the history (popularity).
   */
  because(history: History, item: number, limit: number): Int32Array;
  /** loss after each iteration, for families that iterate */
  curve?: number[];
  /** what to store so any process can load it again */
  artefact(): { meta: Record<string, unknown>; arrays: TypedArrays };
}

/** Count, sum and sum of squares of a history's finite scores over the whole catalogue, and the lowest (−∞ scores excluded). */
export interface ScoreMoments {
  finite: number;
  sum: number;
  sumSq: number;
  /** only read when some scores are −∞ */
  min: number;
}

/** One family of a blend: what it was fitted with and its weight. */
export interface BlendComponent {
  family: Family;
  params: Params;
  weight: number;
}

export interface FamilyDefinition {
  family: Exclude<Family, "hybrid">;
  /** hyperparameters tried on the validation split; the first is the default */
  grid: Params[];
  /**
   * `warm`: the same family fitted on a subset of this data, to start from where it applies (ALS);
   * `onIteration`: called after each of the `iterations` the fit runs, for the progress bar.
   */
  fit(data: TrainingData, params: Params, options: { pace: Pacer; warm?: Model; stage: FitStage; onIteration?: () => void }): Promise<Model>;
  /** How many iterations a fit at `stage` runs (from a warm start or not); families that do not iterate have none. */
  iterations?(params: Params, stage: FitStage, warm: boolean): number;
  /** The model again from the arrays its `artefact()` stored (a file, or a worker thread's answer). */
  restore(trackIds: Int32Array, arrays: TypedArrays, params: Params): Model;
}

/**
 * The history tracks of the `limit` largest positive `contributions` (by history position), best
 * first, ties to the lower track index. One pass keeping the best few in order: reasons ask for two
 * of a history that can hold thousands, and sorting it all cost milliseconds an answer.
 */
export function strongest(history: History, contributions: ArrayLike<number>, limit: number): Int32Array {
  const before = (p: number, q: number) =>
    contributions[p]! > contributions[q]! || (contributions[p] === contributions[q] && history.items[p]! < history.items[q]!);
  const kept: number[] = [];
  for (let p = 0; p < contributions.length && limit > 0; p++) {
    if (!(contributions[p]! > 0)) continue;
    if (kept.length === limit) {
      if (!before(p, kept[limit - 1]!)) continue;
      kept.pop();
    }
    let at = kept.length;
    while (at > 0 && before(p, kept[at - 1]!)) at--;
    kept.splice(at, 0, p);
  }
  return Int32Array.from(kept, (p) => history.items[p]!);
}
