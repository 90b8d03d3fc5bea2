import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Source for `new Worker(…, { eval: true })` that runs the TypeScript module `entry` (a file URL):
 * Node's worker threads do not inherit tsx's loader, so the thread registers it itself first.
 */
export function typescriptWorkerSource(entry: string): string {
  const tsxApi = createRequire(path.join(process.cwd(), "package.json"))
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  return `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
}

/** The process's node flags for a thread: V8's heap flags do not apply to threads, each sizes its own heap. */
export const threadExecArgv = () => process.execArgv.filter((flag) => !flag.startsWith("--max-"));
