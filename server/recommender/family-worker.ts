import { parentPort, workerData } from "node:worker_threads";
import type { TrainSnapshot } from "../db/generated/client";
import { openStore } from "../storage/open";
import { Pacer } from "./pacer";
import { familyDefinition } from "./families/index";
import { TrainSession } from "./session";
import { readSnapshotFile } from "./snapshot";
import { trainFamily } from "./train-family";

/** What the main thread asks of a family worker (see in-worker.ts). */
export interface FamilyJob {
  family: string;
  /** the store's url (openStore) */
  store: string;
  snapshot: { path: string; digest: string };
  seed: number;
  users: { tune: number; evaluate: number };
}

// A family trained on a thread of its own: the same snapshot file and seed give the same splits as the main thread's.
parentPort!.postMessage({ ready: true });
const job = workerData as FamilyJob;
const snapshot = await readSnapshotFile(openStore(job.store), job.snapshot);
const session = new TrainSession({} as TrainSnapshot, snapshot, job.seed, new Pacer(undefined, 1_000));
const definition = familyDefinition(job.family);
const trained = await trainFamily(session, definition, job.users, (done, total) => parentPort!.postMessage({ progress: { done, total } }));
const stages = (["validation", "test", "final"] as const).map((stage) => ({ stage, ...trained.models[stage].artefact(), curve: trained.models[stage].curve }));
const buffers = stages.flatMap((s) => Object.values(s.arrays).map((a) => a.buffer as ArrayBuffer));
parentPort!.postMessage({ params: trained.params, tuning: trained.tuning, test: trained.test, stages }, [...new Set(buffers)]);
