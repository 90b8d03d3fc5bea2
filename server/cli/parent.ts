/**
 * Calls `then` once this process's parent has gone (it is re-parented). Supervisors signal the
 * process they started, often `npm`, which may exit without passing the signal on.
 */
export function onParentExit(then: () => void, everyMs = 250): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    then();
  }, everyMs);
  timer.unref();
}
