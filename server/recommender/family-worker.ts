import { parentPort, workerData } from "node:worker_threads";
import type { TrainSnapshot } from "../db/generated/client";
import { Pacer } from "./pacer";
import { familyDefinition } from "./families/index";
import { TrainSession, type Splits } from "./session";
import type { Snapshot } from "./snapshot";
import { trainFamily } from "./train-family";

/** What the main thread asks of a family worker (see in-worker.ts). */
export interface FamilyJob {
  family: string;
  /** the run's snapshot and splits, on shared memory (TrainSession.onSharedMemory) */
  snapshot: Snapshot;
  splits: Splits;
  seed: number;
  users: { tune: number; evaluate: number };
}

// A family trained on a thread of its own, on the main thread's snapshot and splits (shared, not copied).
parentPort!.postMessage({ ready: true });
const job = workerData as FamilyJob;
const session = new TrainSession({} as TrainSnapshot, job.snapshot, job.seed, new Pacer(undefined, 1_000), job.splits);
const definition = familyDefinition(job.family);
const trained = await trainFamily(session, definition, job.users, (done, total) => parentPort!.postMessage({ progress: { done, total } }));
const stages = (["validation", "test", "final"] as const).map((stage) => ({ stage, ...trained.models[stage].artefact(), curve: trained.models[stage].curve }));
// Arrays on shared memory (none today) would be shared, not moved.
const buffers = stages.flatMap((s) => Object.values(s.arrays).flatMap((a) => (a.buffer instanceof ArrayBuffer ? [a.buffer] : [])));
parentPort!.postMessage({ params: trained.params, tuning: trained.tuning, test: trained.test, stages }, [...new Set(buffers)]);
