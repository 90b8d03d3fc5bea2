import type { TrainSnapshot } from "../db/generated/client";
import type { Csr } from "./csr";
import { evaluate, scorerOf, type Evaluation, type Scorer } from "./evaluate";
import type { FamilyDefinition, FitStage, Model, Params, TrainingData } from "./families/types";
import { checkedFit } from "./fit-check";
import type { Pacer } from "./pacer";
import type { Snapshot } from "./snapshot";
import { countMatrix, holdOut, listensOf, type Listens } from "./split";
import { Random } from "../lib/random";
import { onSharedMemory } from "../lib/shared-memory";
import { sortedJson } from "../lib/sorted-json";

/** Data of one stage: what is fitted on, and what it is judged against. */
interface Stage {
  data: TrainingData;
  /** held-out tracks per user (empty for the final stage) */
  heldOut: Csr | null;
}

/** A stage's arrays: the listens fitted on, their count matrix, the held-out tracks (none for the final stage). */
interface StageArrays {
  listens: Listens;
  matrix: Csr;
  heldOut: Csr | null;
}

/** Listeners the tuning fits learn from, at most (see `tuningSample`). */
export const DEFAULT_TUNING_LISTENERS = 50_000;

/** The arrays of a run's three stages, from the snapshot and seed alone. */
export interface Splits {
  validation: StageArrays;
  test: StageArrays;
  final: StageArrays;
}

/**
 * The splits of a snapshot: `test` holds out each listener's latest tracks, `validation` holds out
 * the latest of what remains, for listeners of the tuning sample only (see `tuningSample`).
 */
export function splitsOf(snapshot: Snapshot, seed: number, tuningListeners: number): Splits {
  const users = snapshot.userIds.length;
  const tracks = snapshot.trackIds.length;
  const all = listensOf(snapshot);
  const test = holdOut(all, users, tracks, seed);
  const sample = tuningSample(users, tuningListeners, seed);
  const validation = holdOut(sample ? listensOfUsers(test.train, sample) : test.train, users, tracks, seed + 1);
  const stage = (listens: Listens, heldOut: Csr | null): StageArrays => ({ listens, matrix: countMatrix(listens, users, tracks), heldOut });
  return { validation: stage(validation.train, validation.test), test: stage(test.train, test.test), final: stage(all, null) };
}

/**
 * At most `size` of `users` listeners, drawn with the seed (null: all of them). Tuning tries every
 * candidate of every family, so at scale it learns from a sample; the chosen parameters are then
 * fitted on everyone.
 */
export function tuningSample(users: number, size: number, seed: number): Uint8Array | null {
  if (users <= size) return null;
  const order = Int32Array.from({ length: users }, (_, u) => u);
  const random = new Random(seed + 2);
  const chosen = new Uint8Array(users);
  // The first `size` steps of a Fisher–Yates shuffle.
  for (let k = 0; k < size; k++) {
    const pick = k + Math.floor(random.next() * (users - k));
    [order[k], order[pick]] = [order[pick]!, order[k]!];
    chosen[order[k]!] = 1;
  }
  return chosen;
}

/** The listens of the users marked in `keep`. */
function listensOfUsers(listens: Listens, keep: Uint8Array): Listens {
  let count = 0;
  for (let i = 0; i < listens.user.length; i++) count += keep[listens.user[i]!]!;
  const out = { user: new Int32Array(count), track: new Int32Array(count), time: new Float64Array(count) };
  for (let i = 0, n = 0; i < listens.user.length; i++)
    if (keep[listens.user[i]!]) {
      out.user[n] = listens.user[i]!;
      out.track[n] = listens.track[i]!;
      out.time[n++] = listens.time[i]!;
    }
  return out;
}

/**
 * Everything a train run's tasks share: the snapshot and its splits, built the same way from the
 * same snapshot and seed in any process (or handed over on shared memory to its threads).
 * `validation` tunes, `test` reports, `final` is fitted on all the data for serving.
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
    readonly splits: Splits = splitsOf(snapshot, seed, DEFAULT_TUNING_LISTENERS),
  ) {
    const stage = ({ listens, matrix, heldOut }: StageArrays): Stage => ({ data: { matrix, listens, snapshot, seed }, heldOut });
    this.validation = stage(splits.validation);
    this.test = stage(splits.test);
    this.final = stage(splits.final);
  }

  /** A session whose snapshot and splits are on shared memory, so the run's threads are handed them instead of building their own. */
  static onSharedMemory(row: TrainSnapshot, snapshot: Snapshot, seed: number, pace: Pacer, tuningListeners: number): TrainSession {
    const shared = onSharedMemory(snapshot);
    return new TrainSession(row, shared, seed, pace, onSharedMemory(splitsOf(shared, seed, tuningListeners)));
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

  /** Drops every fit of a stage no task needs any more (validation once the blend is tuned): a later ask fits again. */
  forgetStage(stage: FitStage): void {
    for (const key of this.models.keys()) if (key.endsWith(`:${stage}`)) this.models.delete(key);
  }

  /** A model fitted elsewhere (a worker thread) with `params` at `stage`, for the run's other tasks. */
  adopt(definition: FamilyDefinition, params: Params, stage: "validation" | "test" | "final", model: Model): void {
    this.models.set(this.key(definition, params, stage), Promise.resolve(checkedFit(model)));
  }

  private key(definition: FamilyDefinition, params: Params, stage: string): string {
    return `${definition.family}:${sortedJson(params)}:${stage}`;
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
