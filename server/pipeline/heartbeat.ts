import os from "node:os";
import type { Database } from "../db/client";

/** How often a running run says it is alive, and how long without a sign before it may be dead. */
export const HEARTBEAT_EVERY_MS = 10_000;
export const HEARTBEAT_STALE_MS = 30_000;

/** How a run shows it is alive and how soon a silent one is taken for dead (RUN_DEAD_AFTER_SECONDS). */
export interface Liveness {
  heartbeatEveryMs: number;
  staleMs: number;
  sweepEveryMs: number;
}

/** Three beats fit in the stale time, and a sweep looks twice within it. */
export function livenessAfter(deadAfterSeconds: number): Liveness {
  const staleMs = deadAfterSeconds * 1000;
  return { heartbeatEveryMs: Math.round(staleMs / 3), staleMs, sweepEveryMs: Math.round(staleMs / 2) };
}

export const DEFAULT_LIVENESS = livenessAfter(HEARTBEAT_STALE_MS / 1000);

/**
 * Marks the run alive now and every `everyMs` with this process's host and pid, on the database's
 * clock (processes on several machines compare the same clock). A missed beat is retried by the next.
 */
export function beatWhileRunning(database: Database, runId: number, everyMs = HEARTBEAT_EVERY_MS) {
  const host = os.hostname();
  const beat = () => database.db.$executeRaw`UPDATE pipeline_runs SET heartbeat_at = now(), host = ${host}, pid = ${process.pid} WHERE id = ${runId}`;
  const first = beat().catch(() => 0);
  const timer = setInterval(() => void beat().catch(() => 0), everyMs);
  timer.unref();
  return { first, stop: () => clearInterval(timer) };
}
