import { isMainThread } from "node:worker_threads";
import { runHeapBounded } from "../server/cli/heap-bounded";
import { JOB_HEAP_MB } from "../server/jobs/heap-limits";
import { parseCommand } from "./command";

// `npm run job -- <name> [--replay <runId>] [--snapshot <id>] [--force]`: runs a job in this process;
// exit code 0 only on success. A job with a heap cap runs on a thread of its own, started from here
// before the job's modules load.
function heapCap(): number | undefined {
  if (!isMainThread) return undefined;
  try {
    const name = parseCommand().positionals[0];
    return name === undefined ? undefined : JOB_HEAP_MB[name];
  } catch {
    return undefined; // the job's own parse reports the mistake
  }
}

const cap = heapCap();
const exitCode = cap ? runHeapBounded(new URL(import.meta.url), cap) : import("./run-job").then((job) => job.runJobCommand());
void exitCode.then((code) => process.exit(code));
