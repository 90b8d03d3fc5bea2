import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { threadExecArgv, typescriptWorkerSource } from "../lib/typescript-worker";
import { onStopRequest } from "./stop-signals";

type StopMessage = { stop: string };

/**
 * This process's entry again, in a worker thread whose old generation is capped at `heapMb`:
 * resolves with the exit code it ended with. Stop requests the process receives are passed on.
 * Why: V8 lets an uncapped heap grow with a run's length (garbage waiting for a major collection),
 * so a job whose live data is small would still grow with the source it reads.
 */
export function runHeapBounded(entry: URL, heapMb: number): Promise<number> {
  const worker = new Worker(typescriptWorkerSource(entry.href), {
    eval: true,
    argv: process.argv.slice(2),
    execArgv: threadExecArgv(),
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  onStopRequest((reason) => worker.postMessage({ stop: reason } satisfies StopMessage));
  return new Promise((resolve) => {
    worker.on("error", (error) => {
      console.error(error instanceof Error ? error.message : String(error));
      resolve(1);
    });
    worker.on("exit", (code) => resolve(code));
  });
}

/** Calls `stop` once on a stop request: the process's signals, or, in a thread `runHeapBounded` started, those it passes on. */
export function onJobStopRequest(stop: (reason: string) => void): void {
  if (isMainThread || !parentPort) {
    onStopRequest(stop);
    return;
  }
  let asked = false;
  parentPort.on("message", (message: StopMessage) => {
    if (asked || typeof message?.stop !== "string") return;
    asked = true;
    stop(message.stop);
  });
  // The port must not keep the thread alive once its job ended.
  parentPort.unref();
}
