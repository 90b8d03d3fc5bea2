import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import { createGunzip, createGzip, gunzip, gzip, type Gzip } from "node:zlib";
import { PRIVATE_DIR, PRIVATE_FILE } from "../runtime/private-files";
import { pageEnvelope, type Dataset, type PageEnvelope } from "./records";

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

const NEWLINE = Buffer.from("\n");

/** gzip level 1: the lake is written once and rarely read, so CPU matters more than a few per cent of disk. */
const compress = (text: string) => gzipAsync(text, { level: 1 });

/**
 * One gzip JSON-lines file per dataset, try and pass of a run: each line is one page exactly as the
 * source sent it, written as pages arrive. It is `<name>.jsonl.gz.partial` until closed, so a file
 * cut short by a crash is told apart.
 */
export class LandingFile {
  /** A write error (disk full, folder gone) fails the next write instead of crashing the process. */
  private failure: Error | undefined;

  private drained: Promise<void> | null = null;

  private constructor(
    private readonly gzip: Gzip,
    private readonly file: WriteStream,
    private readonly final: string,
  ) {
    const keep = (error: Error) => (this.failure ??= error);
    gzip.on("error", keep);
    file.on("error", keep);
  }

  static async open(dir: string, name: string): Promise<LandingFile> {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
    const final = path.join(dir, `${name}.jsonl.gz`);
    // Large output chunks: fewer hand-offs between the compressor's thread and this one.
    const gzip = createGzip({ level: 1, chunkSize: 256 * 1024 });
    const file = createWriteStream(`${final}.partial`, { mode: PRIVATE_FILE });
    gzip.pipe(file);
    return new LandingFile(gzip, file, final);
  }

  /** Resolves when the compressor can take more, so a slow disk slows the reader instead of filling memory. */
  async write(rawPage: Buffer): Promise<void> {
    if (this.failure) throw new Error(`cannot land pages in ${this.final}: ${this.failure.message}`);
    // A pretty-printed body spans lines; one line per page keeps the file JSON lines.
    const line = rawPage.includes(NEWLINE) ? Buffer.from(JSON.stringify(JSON.parse(rawPage.toString("utf8")))) : rawPage;
    this.gzip.write(line);
    const ok = this.gzip.write(NEWLINE);
    // Pages in flight wait for the same drain (one listener, not one per page).
    if (!ok) await (this.drained ??= new Promise<void>((resolve) => this.gzip.once("drain", resolve)).finally(() => (this.drained = null)));
  }

  async close(): Promise<void> {
    this.gzip.end();
    await finished(this.file);
    await rename(`${this.final}.partial`, this.final);
  }

  /** Leaves what was written as a .partial file. */
  async abandon(): Promise<void> {
    this.gzip.end();
    await finished(this.file).catch(() => undefined);
  }
}

/** Through a temporary file and a rename; makes the folder on first use instead of checking every time. */
async function writeAtomically(dir: string, file: string, body: Buffer): Promise<void> {
  try {
    await writeFile(`${file}.tmp`, body, { mode: PRIVATE_FILE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
    await writeFile(`${file}.tmp`, body, { mode: PRIVATE_FILE });
  }
  await rename(`${file}.tmp`, file);
}

/** What an ingest task saw of one dataset: the proof reconciliation checks against the tables. */
export interface Manifest {
  fetched: number;
  invalid: number;
  /** records the source sent twice within one read (not counting a whole second read) */
  sourceRepeats: number;
  /** the source's `total` and what its latest full read gave (absent for a replay from the lake) */
  source?: { total: number; fetched: number };
  /** natural keys of the valid records, each once */
  keys: string[];
}

export async function writeManifest(dir: string, tryNumber: number, manifest: Manifest): Promise<void> {
  await writeAtomically(dir, path.join(dir, `manifest-try${String(tryNumber).padStart(3, "0")}.json.gz`), await compress(JSON.stringify(manifest)));
}

/** The manifest of the latest try of a run's dataset, or null when no try got that far. */
export async function readManifest(lakeDir: string, dataset: Dataset, runId: number): Promise<Manifest | null> {
  for (const dir of (await runDirs(lakeDir, dataset, runId)).reverse()) {
    const latest = (await readdir(dir)).filter((f) => f.startsWith("manifest-")).sort().at(-1);
    if (latest) return JSON.parse((await gunzipAsync(await readFile(path.join(dir, latest)))).toString("utf8")) as Manifest;
  }
  return null;
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

/** The pages of a landed file, in order; a `.partial` file (its try was cut short) is read as far as it is intact. */
async function* landedPages(file: string): AsyncGenerator<PageEnvelope> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line !== "") yield pageEnvelope.parse(JSON.parse(line));
  } catch (error) {
    // A crash cuts a .partial file mid-line or mid-block; what came before is intact.
    if (!file.endsWith(".partial")) throw error;
  }
}

const TRY_FILE = /^try(\d+)-pass(\d+)\.jsonl\.gz(\.partial)?$/;

/**
 * The pages that tries before `tryNumber` of a run landed for `dataset`, with `size` records a page:
 * for each page number only its latest copy (later try, later pass), envelope and all, as if read
 * from the source again. Two passes over the files, so only page numbers are held in memory.
 */
export async function* landedByEarlierTries(lakeDir: string, dataset: Dataset, runId: number, tryNumber: number, size: number): AsyncGenerator<PageEnvelope> {
  const files: string[] = [];
  for (const dir of await runDirs(lakeDir, dataset, runId)) {
    const earlier = (await readdir(dir))
      .map((name) => ({ name, match: TRY_FILE.exec(name) }))
      .filter(({ match }) => match && Number(match[1]) < tryNumber)
      .sort((a, b) => Number(a.match![1]) - Number(b.match![1]) || Number(a.match![2]) - Number(b.match![2]));
    files.push(...earlier.map(({ name }) => path.join(dir, name)));
  }
  const latest = new Map<number, { file: number; line: number }>();
  for (const [file, name] of files.entries()) {
    let line = 0;
    for await (const envelope of landedPages(name)) {
      if (envelope.size === size) latest.set(envelope.page, { file, line });
      line++;
    }
  }
  for (const [file, name] of files.entries()) {
    let line = 0;
    for await (const envelope of landedPages(name)) {
      const chosen = latest.get(envelope.page);
      if (chosen?.file === file && chosen.line === line) yield envelope;
      line++;
    }
  }
}

/** Reads back every page a run landed for `dataset`. A `.partial` file (its run was cut short) is read as far as it is intact. */
export async function* readLanded(lakeDir: string, dataset: Dataset, runId: number): AsyncGenerator<LandedPage> {
  for (const dir of await runDirs(lakeDir, dataset, runId)) {
    const files = (await readdir(dir)).filter((f) => f.endsWith(".jsonl.gz") || f.endsWith(".jsonl.gz.partial")).sort();
    for (const name of files) {
      const file = path.join(dir, name);
      for await (const envelope of landedPages(file)) yield { dataset, file, items: envelope.items };
    }
  }
}
