import { parentPort, workerData } from "node:worker_threads";
import { loadArtefact } from "./artefacts";
import { readVerified } from "./binary";
import { inCatalogue } from "./catalogue";
import { unpaced } from "./pacer";
import { scoredLines } from "./scoring";
import { decodeSnapshot } from "./snapshot";
import { countMatrix, listensOf } from "./split";

/** What the main thread asks of a scoring worker (see in-worker.ts). */
export interface ScoreJob {
  versionId: number;
  snapshot: { path: string; digest: string };
  artefact: { path: string; digest: string };
  users: readonly [number, number];
}

/** Lines per message: few messages, little held at once. */
const BATCH = 200;

// The same snapshot file and artefact as the main thread's give the same matrix and model.
parentPort!.postMessage({ ready: true });
const job = workerData as ScoreJob;
const snapshot = decodeSnapshot(await readVerified(job.snapshot.path, job.snapshot.digest));
const matrix = countMatrix(listensOf(snapshot), snapshot.userIds.length, snapshot.trackIds.length);
const model = inCatalogue(await loadArtefact(job.artefact), snapshot.trackIds);
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
