import type { TrainSnapshot } from "../db/generated/client";
import type { Csr } from "./csr";
import { evaluate, scorerOf, type Evaluation, type Scorer } from "./evaluate";
import type { FamilyDefinition, FitStage, Model, Params, TrainingData } from "./families/types";
import { checkedFit } from "./fit-check";
import type { Pacer } from "./pacer";
import type { Snapshot } from "./snapshot";
import { countMatrix, holdOut, listensOf, type Listens } from "./split";

/** Data of one stage: what is fitted on, and what it is judged against. */
interface Stage {
  data: TrainingData;
  /** held-out tracks per user (empty for the final stage) */
  heldOut: Csr | null;
}

/**
 * Everything a train run's tasks share: the snapshot and its splits, built the same way from the
 * same snapshot and seed in any process. `validation` tunes, `test` reports, `final` is fitted on
 * all the data for serving.
 */
export class TrainSession {
  readonly validation: Stage;
  readonly test: Stage;
  readonly final: Stage;
  private readonly models = new Map<string, Promise<Model>>();

  constructor(
    readonly snapshotRow: TrainSnapshot,
    readonly snapshot: Snapshot,
    readonly seed: number,
    /** lets signals and the ledger through during the long loops, and stops them when the run is stopped */
    readonly pace: Pacer,
  ) {
    const users = snapshot.userIds.length;
    const tracks = snapshot.trackIds.length;
    const all = listensOf(snapshot);
    const test = holdOut(all, users, tracks, seed);
    const validation = holdOut(test.train, users, tracks, seed + 1);
    const stage = (listens: Listens, heldOut: Csr | null): Stage => ({
      data: { matrix: countMatrix(listens, users, tracks), listens, snapshot, seed },
      heldOut,
    });
    this.validation = stage(validation.train, validation.test);
    this.test = stage(test.train, test.test);
    this.final = stage(all, null);
  }

  /** A family fitted with `params` at a stage; kept for the run's other tasks (the blend reuses them). */
  fit(definition: FamilyDefinition, params: Params, stage: FitStage, onIteration?: () => void): Promise<Model> {
    const key = this.key(definition, params, stage);
    let model = this.models.get(key);
    if (!model) {
      const warm = stage === "final" ? this.models.get(key.replace(/:final$/, ":test")) : undefined;
      model = (async () => checkedFit(await definition.fit(this[stage].data, params, { pace: this.pace, warm: await warm, stage, onIteration })))();
      // A failed fit is not kept: a retry fits again.
      model.catch(() => this.models.delete(key));
      this.models.set(key, model);
    }
    return model;
  }

  /** Drops a fit no task needs any more (a candidate tuning did not choose), so it holds no memory. */
  forget(definition: FamilyDefinition, params: Params, stage: FitStage): void {
    this.models.delete(this.key(definition, params, stage));
  }

  /** A model fitted elsewhere (a worker thread) with `params` at `stage`, for the run's other tasks. */
  adopt(definition: FamilyDefinition, params: Params, stage: "validation" | "test" | "final", model: Model): void {
    this.models.set(this.key(definition, params, stage), Promise.resolve(checkedFit(model)));
  }

  private key(definition: FamilyDefinition, params: Params, stage: string): string {
    // Sorted keys: parameters read back from the ledger (jsonb) come in another key order.
    return `${definition.family}:${JSON.stringify(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)))}:${stage}`;
  }

  evaluate(model: Model, stage: "validation" | "test", maxUsers: number): Promise<Evaluation> {
    return this.evaluateScorer(scorerOf(model, this[stage].data.matrix), stage, maxUsers);
  }

  evaluateScorer(scorer: Scorer, stage: "validation" | "test", maxUsers: number): Promise<Evaluation> {
    const { data, heldOut } = this[stage];
    return evaluate(scorer, data.matrix, sampleUsers(heldOut!, maxUsers, this.seed), this.pace);
  }
}

/**
 * The held-out rows of at most `maxUsers` users, drawn evenly with the seed: every track is still
 * ranked for each (full ranking); only how many users are averaged is bounded.
 */
function sampleUsers(heldOut: Csr, maxUsers: number, seed: number): Csr {
  const withTracks: number[] = [];
  for (let u = 0; u < heldOut.rows; u++) if (heldOut.indptr[u + 1]! > heldOut.indptr[u]!) withTracks.push(u);
  if (withTracks.length <= maxUsers) return heldOut;
  const keep = new Uint8Array(heldOut.rows);
  // A deterministic stride through the users, offset by the seed.
  const stride = withTracks.length / maxUsers;
  for (let k = 0; k < maxUsers; k++) keep[withTracks[Math.floor(((seed % 997) / 997) * stride + k * stride) % withTracks.length]!] = 1;
  const indptr = new Int32Array(heldOut.rows + 1);
  const indices: number[] = [];
  for (let u = 0; u < heldOut.rows; u++) {
    if (keep[u]) for (let p = heldOut.indptr[u]!; p < heldOut.indptr[u + 1]!; p++) indices.push(heldOut.indices[p]!);
    indptr[u + 1] = indices.length;
  }
  return { ...heldOut, indptr, indices: Int32Array.from(indices), data: new Float32Array(indices.length).fill(1) };
}
