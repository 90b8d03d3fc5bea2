import { parentPort, workerData } from "node:worker_threads";
import { unpaced } from "./pacer";
import type { Csr } from "./csr";
import { loadScoringInputs, loadScoringModel, type ScoreShard } from "./score-shards";
import type { Snapshot } from "./snapshot";
import { recentListeners, scoredLines } from "./scoring";

/** What the main thread asks of a scoring worker (see in-worker.ts). */
export type ScoreJob = Pick<ScoreShard, "versionId" | "store" | "snapshot" | "artefact" | "recentDays"> & {
  users: readonly [number, number];
  /** the run's snapshot and count matrix on shared memory (TrainSession.onSharedMemory): read, not loaded again */
  shared?: { snapshot: Snapshot; matrix: Csr };
};

/** Lines per message: few messages, little held at once. */
const BATCH = 200;

parentPort!.postMessage({ ready: true });
const job = workerData as ScoreJob;
const { snapshot, matrix, model } = job.shared ? { ...job.shared, model: await loadScoringModel(job, job.shared.snapshot) } : await loadScoringInputs(job);
let batch: string[] = [];
for await (const line of scoredLines(job.versionId, model, snapshot, matrix, job.users, unpaced(), recentListeners(snapshot, job.recentDays))) {
  batch.push(line);
  if (batch.length === BATCH) {
    parentPort!.postMessage({ progress: batch.join("") });
    batch = [];
  }
}
if (batch.length) parentPort!.postMessage({ progress: batch.join("") });
parentPort!.postMessage({ users: job.users[1] - job.users[0] });
