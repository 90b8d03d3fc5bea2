import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { Dataset } from "./records";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface LandedPage {
  dataset: Dataset;
  file: string;
  items: unknown[];
}

const runFolder = (runId: number) => `run-${runId}`;

/** `<lake>/<dataset>/<YYYY-MM-DD>/run-<id>/`: where a run's raw pages of a dataset land. */
export function landingDir(lakeDir: string, dataset: Dataset, runId: number, day: Date): string {
  return path.join(lakeDir, dataset, day.toISOString().slice(0, 10), runFolder(runId));
}

/** Writes one raw page as gzip JSON lines; atomically, so a crash never leaves half a file. */
export async function landPage(dir: string, name: string, items: unknown[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.jsonl.gz`);
  const body = await gzipAsync(items.map((item) => JSON.stringify(item)).join("\n") + (items.length ? "\n" : ""));
  await writeFile(`${file}.tmp`, body);
  await rename(`${file}.tmp`, file);
}

/** The folders holding a run's pages of `dataset`, whatever day they landed on. */
async function runDirs(lakeDir: string, dataset: Dataset, runId: number): Promise<string[]> {
  const root = path.join(lakeDir, dataset);
  const days = await readdir(root).catch(() => [] as string[]);
  const dirs: string[] = [];
  for (const day of days.sort()) {
    const candidate = path.join(root, day, runFolder(runId));
    if ((await readdir(candidate).catch(() => null)) !== null) dirs.push(candidate);
  }
  return dirs;
}

/** Reads back every page a run landed for `dataset`, one at a time, in file order. */
export async function* readLandedPages(lakeDir: string, dataset: Dataset, runId: number): AsyncGenerator<LandedPage> {
  for (const dir of await runDirs(lakeDir, dataset, runId)) {
    const files = (await readdir(dir)).filter((f) => f.endsWith(".jsonl.gz")).sort();
    for (const name of files) {
      const file = path.join(dir, name);
      const text = (await gunzipAsync(await readFile(file))).toString("utf8");
      const items = text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as unknown);
      yield { dataset, file, items };
    }
  }
}

export async function hasLandedPages(lakeDir: string, runId: number, datasets: readonly Dataset[]): Promise<boolean> {
  for (const dataset of datasets) if ((await runDirs(lakeDir, dataset, runId)).length > 0) return true;
  return false;
}
