import cluster, { type Worker } from "node:cluster";
import type { Server } from "node:http";
import { onStopRequest } from "./stop-signals";

/** How long a web process lets requests in flight finish after SIGTERM; its supervisor waits longer before it kills it. */
export const DRAIN_MS = 5000;

/**
 * WEB_PROCESSES=N on one port through Node's cluster module: the primary holds the listening socket
 * and hands each connection to the next process in turn (round-robin), so there is no balancer of
 * ours. Call first thing: true in the primary, which forks `count` copies of the running script and
 * only supervises them; false in a web process (or when `count` is 1), which goes on to listen.
 */
export function superviseWebProcesses(count: number, log: (line: string) => void): boolean {
  if (count <= 1 || !cluster.isPrimary) return false;
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork();
    let listening = false;
    worker.once("listening", () => (listening = true));
    worker.once("exit", (code, signal) => {
      if (stopping) return;
      // One that never listened fails the same way again (a port, a build): stop rather than loop.
      if (!listening) return stop(`web process ${worker.process.pid} exited while starting (${signal ?? code})`, code || 1);
      log(`web process ${worker.process.pid} exited (${signal ?? code}); starting another`);
      fork();
    });
    return worker;
  };
  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: draining ${count} web processes…`);
    const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    const exited = running.map((w) => new Promise((resolve) => w.once("exit", resolve)));
    for (const w of running) w.process.kill("SIGTERM");
    void Promise.all(exited).then(() => process.exit(code));
  };
  for (let i = 0; i < count; i++) fork();
  onStopRequest((reason) => stop(reason, 0));
  return true;
}

/** On SIGTERM (or the parent gone): stop accepting, let requests in flight finish for up to DRAIN_MS, then `close` and exit. */
export function drainOnStop(server: Server, close: () => Promise<unknown>): void {
  onStopRequest(() => {
    setTimeout(() => process.exit(0), DRAIN_MS).unref();
    server.close(() => void close().finally(() => process.exit(0)));
    server.closeIdleConnections();
  });
}
