/**
 * Lets the event loop breathe during a long computation: `due()` is a cheap clock check for hot
 * loops, `rest()` yields to pending signals, timers and ledger writes, then stops the work if the
 * run was cancelled or the process is shutting down.
 */
export class Pacer {
  private last = performance.now();

  constructor(
    private readonly signal?: AbortSignal,
    private readonly everyMs = 50,
  ) {}

  due(): boolean {
    return performance.now() - this.last >= this.everyMs;
  }

  async rest(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.signal?.throwIfAborted();
    this.last = performance.now();
  }

  /** rest() when due. */
  async breathe(): Promise<void> {
    if (this.due()) await this.rest();
  }
}

/** For callers with nothing to interleave (tests, benchmarks): rests rarely. */
export const unpaced = () => new Pacer(undefined, 1_000);
