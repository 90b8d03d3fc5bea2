import { Worker } from "node:worker_threads";
import type { Evaluation } from "./evaluate";
import type { FamilyJob } from "./family-worker";
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

/**
 * Trains a family on a worker thread, so families use both cores and the job's event loop stays free.
 * `unavailable` when this process cannot run the TypeScript worker (e.g. under a test runner): train in-process then.
 * Aborting `signal` terminates the thread at once.
 */
export async function trainFamilyInWorker(job: FamilyJob, signal: AbortSignal): Promise<WorkerTraining | { unavailable: string }> {
  const release = await slot();
  try {
    signal.throwIfAborted();
    return await new Promise<WorkerTraining | { unavailable: string }>((resolve, reject) => {
      let ready = false;
      let worker: Worker;
      try {
        // V8 heap flags of the job process do not apply to threads; each thread sizes its own heap.
        worker = new Worker(new URL("./family-worker.ts", import.meta.url), { workerData: job, execArgv: process.execArgv.filter((a) => !a.startsWith("--max-")) });
      } catch (error) {
        return resolve({ unavailable: error instanceof Error ? error.message : String(error) });
      }
      const stop = () => void worker.terminate();
      signal.addEventListener("abort", stop, { once: true });
      const done = () => signal.removeEventListener("abort", stop);
      worker.on("message", (message: { ready?: true } & Partial<WorkerTraining>) => {
        if (message.ready) ready = true;
        else {
          done();
          resolve(message as WorkerTraining);
        }
      });
      worker.on("error", (error) => {
        done();
        if (ready) reject(error);
        else resolve({ unavailable: error.message });
      });
      worker.on("exit", (code) => {
        done();
        if (signal.aborted) reject(signal.reason);
        else if (code !== 0) reject(new Error(`the ${job.family} thread exited with code ${code}`));
      });
    });
  } finally {
    release();
  }
}
