import { parentPort, workerData } from "node:worker_threads";
import { unpaced } from "./pacer";
import type { Csr } from "./csr";
import { loadScoringModel, type ScoreShard } from "./score-shards";
import type { Snapshot } from "./snapshot";
import { scoredLines } from "./scoring";

/**
 * What the main thread asks of a scoring worker (see in-worker.ts): the run's snapshot and count
 * matrix on shared memory (TrainSession.onSharedMemory), read rather than loaded again, and the
 * listeners to store rows for; only the model comes from the store.
 */
export type ScoreJob = Pick<ScoreShard, "versionId" | "store" | "artefact"> & {
  users: readonly [number, number];
  snapshot: Snapshot;
  matrix: Csr;
  recent: Uint8Array | null;
};

/** Lines per message: few messages, little held at once. */
const BATCH = 200;

parentPort!.postMessage({ ready: true });
const job = workerData as ScoreJob;
const { snapshot, matrix, recent } = job;
const model = await loadScoringModel(job, snapshot);
let batch: string[] = [];
for await (const line of scoredLines(job.versionId, model, snapshot, matrix, job.users, unpaced(), recent)) {
  batch.push(line);
  if (batch.length === BATCH) {
    parentPort!.postMessage({ progress: batch.join("") });
    batch = [];
  }
}
if (batch.length) parentPort!.postMessage({ progress: batch.join("") });
parentPort!.postMessage({ users: job.users[1] - job.users[0] });
