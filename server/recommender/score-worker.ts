import { parentPort, workerData } from "node:worker_threads";
import { openStore } from "../storage/open";
import { loadArtefact } from "./artefacts";
import { inCatalogue } from "./catalogue";
import { unpaced } from "./pacer";
import { scoredLines } from "./scoring";
import { readSnapshotFile } from "./snapshot";
import { countMatrix, listensOf } from "./split";

/** What the main thread asks of a scoring worker (see in-worker.ts). */
export interface ScoreJob {
  versionId: number;
  /** the store's url (openStore) */
  store: string;
  snapshot: { path: string; digest: string };
  artefact: { path: string; digest: string };
  users: readonly [number, number];
}

/** Lines per message: few messages, little held at once. */
const BATCH = 200;

// The same snapshot file and artefact as the main thread's give the same matrix and model.
parentPort!.postMessage({ ready: true });
const job = workerData as ScoreJob;
const store = openStore(job.store);
const snapshot = await readSnapshotFile(store, job.snapshot);
const matrix = countMatrix(listensOf(snapshot), snapshot.userIds.length, snapshot.trackIds.length);
const model = inCatalogue(await loadArtefact(store, job.artefact), snapshot.trackIds);
let batch: string[] = [];
for await (const line of scoredLines(job.versionId, model, snapshot, matrix, job.users, unpaced())) {
  batch.push(line);
  if (batch.length === BATCH) {
    parentPort!.postMessage({ progress: batch.join("") });
    batch = [];
  }
}
if (batch.length) parentPort!.postMessage({ progress: batch.join("") });
parentPort!.postMessage({ users: job.users[1] - job.users[0] });
