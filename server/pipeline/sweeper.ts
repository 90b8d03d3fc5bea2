import type { Database } from "../db/client";
import { DEFAULT_LIVENESS } from "./heartbeat";
import { sweepDeadRuns } from "./runner";

/**
 * Every `everyMs`, records as failed the runs whose process died (so within staleMs + everyMs of
 * the death, whether or not another run of the pipeline ever starts), then `onSwept` for each
 * pipeline that had one (its alerts are judged there).
 */
export function startRunSweeper(
  database: Database,
  onSwept: (pipeline: string, runIds: number[]) => Promise<void>,
  { everyMs = DEFAULT_LIVENESS.sweepEveryMs, staleMs = DEFAULT_LIVENESS.staleMs } = {},
) {
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweepDeadRuns(database, staleMs)
      .then(async (swept) => {
        for (const [pipeline, ids] of swept) await onSwept(pipeline, ids);
      })
      .catch((error: unknown) => console.error(`[pipeline] looking for dead runs failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (sweeping = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
