import { setTimeout as sleep } from "node:timers/promises";

/** How long a ledger write that ends a task or a run is retried while the database is away (a restart, a failover). */
export const LEDGER_WRITE_BUDGET_MS = 120_000;

/**
 * `write` retried with capped exponential backoff until it succeeds or the budget is spent; the
 * run's end must reach the ledger, or the sweeper is left to record it without its cause.
 */
export async function writeThroughOutage<T>(label: string, write: () => Promise<T>, budgetMs = LEDGER_WRITE_BUDGET_MS): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await write();
    } catch (error) {
      if (Date.now() + delay > deadline) throw error;
      console.warn(`${label}: the ledger write failed (${error instanceof Error ? error.message : String(error)}); trying again in ${delay} ms`);
      await sleep(delay);
    }
  }
}
