import { createInterface } from "node:readline";
import { createGunzip, createGzip, type Gzip } from "node:zlib";
import type { ObjectStore } from "../storage/store";
import { pageEnvelope, type Dataset, type PageEnvelope } from "./records";

export interface LandedPage {
  dataset: Dataset;
  /** the landed file's location in the store */
  file: string;
  items: unknown[];
}

const runFolderName = (runId: number) => `run-${runId}`;

/** Where a run's raw pages of a dataset land: `<dataset>/<YYYY-MM-DD>/run-<id>/` in the store. */
export interface RunFolder {
  store: ObjectStore;
  prefix: string;
}

export function runFolder(store: ObjectStore, dataset: Dataset, runId: number, day: Date): RunFolder {
  return { store, prefix: `${dataset}/${day.toISOString().slice(0, 10)}/${runFolderName(runId)}/` };
}

const NEWLINE = Buffer.from("\n");

/** gzip level 1: the lake is written once and rarely read, so CPU matters more than a few per cent of disk. */

/**
 * One gzip JSON-lines file per dataset, try and pass of a run: each line is one page exactly as the
 * source sent it, streamed to the store as pages arrive. In a local folder it is
 * `<name>.jsonl.gz.partial` until closed, so a file cut short by a crash is told apart and read back
 * by the next try; an S3 store keeps no part of an upload that did not finish.
 */
export class LandingFile {
  /** A store error (disk full, folder gone, store unreachable) fails the next write instead of crashing the process. */
  private failure: Error | undefined;

  private drained: Promise<void> | null = null;

  private abandoned = false;

  private readonly stored: Promise<unknown>;

  private constructor(
    private readonly gzip: Gzip,
    private readonly location: string,
    store: ObjectStore,
    key: string,
  ) {
    gzip.on("error", (error) => (this.failure ??= error));
    this.stored = store.put(key, this.body()).catch((error: Error) => {
      this.failure ??= error;
      throw error;
    });
    // Seen by write() and close(); not an unhandled rejection meanwhile.
    this.stored.catch(() => undefined);
  }

  static open(folder: RunFolder, name: string): LandingFile {
    const key = `${folder.prefix}${name}.jsonl.gz`;
    // Large output chunks: fewer hand-offs between the compressor's thread and this one.
    return new LandingFile(createGzip({ level: 1, chunkSize: 256 * 1024 }), folder.store.locate(key), folder.store, key);
  }

  /** The compressed bytes; failing at the end when abandoned, so the store does not take the file as whole. */
  private async *body(): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.gzip) yield chunk as Uint8Array;
    if (this.abandoned) throw new Error(`${this.location}: its try stopped before the last page`);
  }

  /** Resolves when the compressor can take more, so a slow store slows the reader instead of filling memory. */
  async write(rawPage: Buffer): Promise<void> {
    if (this.failure) throw new Error(`cannot land pages in ${this.location}: ${this.failure.message}`);
    // A pretty-printed body spans lines; one line per page keeps the file JSON lines.
    const line = rawPage.includes(NEWLINE) ? Buffer.from(JSON.stringify(JSON.parse(rawPage.toString("utf8")))) : rawPage;
    this.gzip.write(line);
    const ok = this.gzip.write(NEWLINE);
    // Pages in flight wait for the same drain (one listener, not one per page); a store that failed ends the wait.
    if (!ok) {
      this.drained ??= Promise.race([new Promise<void>((resolve) => this.gzip.once("drain", resolve)), this.stored.then(() => undefined)]).finally(
        () => (this.drained = null),
      );
      await this.drained;
    }
  }

  async close(): Promise<void> {
    this.gzip.end();
    await this.stored;
  }

  /** Keeps what was written as a .partial file in a local folder. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    this.gzip.end();
    await this.stored.catch(() => undefined);
  }
}

/** A run's keys of `dataset`, grouped by the day folder they landed in (days in order), whatever day that was. */
async function runKeys(store: ObjectStore, dataset: Dataset, runId: number): Promise<string[][]> {
  const folder = runFolderName(runId);
  const byDay = new Map<string, string[]>();
  for (const key of await store.list(`${dataset}/`)) {
    const [, day, run, name] = key.split("/");
    if (run !== folder || day === undefined || name === undefined) continue;
    byDay.set(day, [...(byDay.get(day) ?? []), key]);
  }
  return [...byDay.keys()].sort().map((day) => byDay.get(day)!);
}

const nameOf = (key: string) => key.slice(key.lastIndexOf("/") + 1);

/** The pages of a landed file, in order; a `.partial` file (its try was cut short) is read as far as it is intact. */
async function* landedPages(store: ObjectStore, key: string): AsyncGenerator<PageEnvelope> {
  const lines = createInterface({ input: (await store.get(key)).pipe(createGunzip()), crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line !== "") yield pageEnvelope.parse(JSON.parse(line));
  } catch (error) {
    // A crash cuts a .partial file mid-line or mid-block; what came before is intact.
    if (!key.endsWith(".partial")) throw error;
  }
}

const TRY_FILE = /^try(\d+)-pass(\d+)\.jsonl\.gz(\.partial)?$/;

/**
 * The pages that tries before `tryNumber` of a run landed for `dataset`, with `size` records a page:
 * for each page number only its latest copy (later try, later pass), envelope and all, as if read
 * from the source again. Two passes over the files, so only page numbers are held in memory.
 */
export async function* landedByEarlierTries(
  store: ObjectStore,
  dataset: Dataset,
  runId: number,
  tryNumber: number,
  size: number,
): AsyncGenerator<PageEnvelope> {
  const files: string[] = [];
  for (const keys of await runKeys(store, dataset, runId)) {
    const earlier = keys
      .map((key) => ({ key, match: TRY_FILE.exec(nameOf(key)) }))
      .filter(({ match }) => match && Number(match[1]) < tryNumber)
      .sort((a, b) => Number(a.match![1]) - Number(b.match![1]) || Number(a.match![2]) - Number(b.match![2]));
    files.push(...earlier.map(({ key }) => key));
  }
  const latest = new Map<number, { file: number; line: number }>();
  for (const [file, key] of files.entries()) {
    let line = 0;
    for await (const envelope of landedPages(store, key)) {
      if (envelope.size === size) latest.set(envelope.page, { file, line });
      line++;
    }
  }
  for (const [file, key] of files.entries()) {
    let line = 0;
    for await (const envelope of landedPages(store, key)) {
      const chosen = latest.get(envelope.page);
      if (chosen?.file === file && chosen.line === line) yield envelope;
      line++;
    }
  }
}

/** Reads back every page a run landed for `dataset`. A `.partial` file (its run was cut short) is read as far as it is intact. */
export async function* readLanded(store: ObjectStore, dataset: Dataset, runId: number): AsyncGenerator<LandedPage> {
  for (const keys of await runKeys(store, dataset, runId)) {
    const files = keys.filter((key) => key.endsWith(".jsonl.gz") || key.endsWith(".jsonl.gz.partial"));
    for (const key of files) {
      for await (const envelope of landedPages(store, key)) yield { dataset, file: store.locate(key), items: envelope.items };
    }
  }
}
