import { parentPort, workerData } from "node:worker_threads";
import { buildGraph } from "./ann";

/** What the main thread asks of a graph worker (see in-worker.ts): the graph of these vectors, written to `file`. */
export interface GraphJob {
  vectors: Float32Array;
  dims: number;
  seed: number;
  file: string;
}

parentPort!.postMessage({ ready: true });
const job = workerData as GraphJob;
buildGraph(job.vectors, job.dims, job.seed).writeIndexSync(job.file);
parentPort!.postMessage({ written: true });
