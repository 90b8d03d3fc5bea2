/**
 * Calls `stop` once, with the reason, on SIGTERM, on SIGINT, or when this process's parent has gone
 * (it is re-parented): supervisors signal the process they started, often `npm`, which may exit
 * without passing the signal on.
 */
export function onStopRequest(stop: (reason: string) => void, everyMs = 250): void {
  let asked = false;
  const once = (reason: string) => {
    if (asked) return;
    asked = true;
    stop(reason);
  };
  process.on("SIGTERM", () => once("SIGTERM"));
  process.on("SIGINT", () => once("SIGINT"));
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    once("SIGTERM (its parent process exited)");
  }, everyMs);
  timer.unref();
}
