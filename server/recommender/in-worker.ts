import { Worker } from "node:worker_threads";
import { threadExecArgv, typescriptWorkerSource } from "../lib/typescript-worker";
import type { Evaluation } from "./evaluate";
import type { FamilyJob } from "./family-worker";
import type { GraphJob } from "./ann-worker";
import type { ScoreJob } from "./score-worker";
import type { Params, TypedArrays } from "./families/types";

export interface WorkerTraining {
  params: Params;
  tuning: { params: Params; ndcg10: number }[];
  test: Evaluation;
  stages: { stage: "validation" | "test" | "final"; meta: Record<string, unknown>; arrays: TypedArrays; curve?: number[] }[];
}

/** Two threads at a time: the machines have two cores, and each thread holds the run's splits. */
const MAX_THREADS = 2;
let busy = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  while (busy >= MAX_THREADS) await new Promise<void>((resolve) => waiting.push(resolve));
  busy++;
  return () => {
    busy--;
    waiting.shift()?.();
  };
}

type Unavailable = { unavailable: string };

/**
 * Runs `entry` (a module beside this one) on a worker thread, taking one of the two slots. The thread
 * posts `{ ready: true }` once its code loaded, then `{ progress }` messages as it likes (handed to
 * `onProgress`), then its result. `unavailable` when this process cannot run the TypeScript worker
 * (e.g. under a test runner): the caller does the work in-process then. Aborting `signal` terminates
 * the thread at once.
 */
async function onThread<Result, Progress = never>(
  entry: string,
  workerData: unknown,
  signal: AbortSignal,
  what: string,
  onProgress?: (progress: Progress) => void,
): Promise<Result | Unavailable> {
  const release = await slot();
  try {
    signal.throwIfAborted();
    return await new Promise<Result | Unavailable>((resolve, reject) => {
      let ready = false;
      let worker: Worker;
      try {
        worker = new Worker(typescriptWorkerSource(new URL(entry, import.meta.url).href), { eval: true, workerData, execArgv: threadExecArgv() });
      } catch (error) {
        return resolve({ unavailable: error instanceof Error ? error.message : String(error) });
      }
      const stop = () => void worker.terminate();
      signal.addEventListener("abort", stop, { once: true });
      const done = () => signal.removeEventListener("abort", stop);
      let settled = false;
      worker.on("message", (message: { ready?: true; progress?: Progress }) => {
        if (message.ready) ready = true;
        else if ("progress" in message) onProgress?.(message.progress as Progress);
        else {
          settled = true;
          done();
          resolve(message as Result);
        }
      });
      worker.on("error", (error) => {
        done();
        if (ready) reject(error);
        else resolve({ unavailable: error.message });
      });
      worker.on("exit", (code) => {
        done();
        if (settled) return;
        if (signal.aborted) reject(signal.reason);
        else reject(new Error(`${what} ended (code ${code}) without a result`));
      });
    });
  } finally {
    release();
  }
}

/** Trains a family on a worker thread, so families use both cores and the job's event loop stays free; its steps come to `onStep`. */
export const trainFamilyInWorker = (job: FamilyJob, signal: AbortSignal, onStep: (step: { done: number; total: number }) => void) =>
  onThread<WorkerTraining, { done: number; total: number }>("./family-worker.ts", job, signal, `the ${job.family} thread`, onStep);

/** Batch-scores a range of users on a worker thread; their COPY lines come to `onLines` in batches. */
export const scoreInWorker = (job: ScoreJob, signal: AbortSignal, onLines: (lines: string) => void) =>
  onThread<{ users: number }, string>("./score-worker.ts", job, signal, "the scoring thread", onLines);

/** Builds an HNSW graph on a worker thread and writes it to `job.file` (ann.ts reads it back). */
export const buildGraphInWorker = (job: GraphJob, signal: AbortSignal) => onThread<{ written: true }>("./ann-worker.ts", job, signal, "the graph thread");
