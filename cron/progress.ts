import type { RunObserver } from "../server/pipeline/types";

/** One status line on stderr: redrawn in place on a terminal, printed every few seconds otherwise. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): RunObserver & { stop(): void } {
  const pages = new Map<string, { done: number; total: number | null }>();
  const line = () =>
    [...pages.entries()]
      .map(([task, p]) => {
        if (p.total === null || p.total === 0) return `${task} ${p.done} pages`;
        const width = 12;
        const filled = Math.round((p.done / p.total) * width);
        return `${task} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.done}/${p.total}`;
      })
      .join("  ");
  let last = "";
  const draw = () => {
    const text = line();
    if (text === last || text === "") return;
    last = text;
    if (stream.isTTY) stream.write(`\r\x1b[2K${text}`);
    else stream.write(`${text}\n`);
  };
  const timer = setInterval(draw, stream.isTTY ? 200 : 3000);
  timer.unref();
  return {
    onProgress(task, done, total) {
      pages.set(task, { done, total });
    },
    stop() {
      clearInterval(timer);
      draw();
      if (stream.isTTY && last) stream.write("\n");
    },
  };
}
