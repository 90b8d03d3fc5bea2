import type { TaskContext } from "../pipeline/types";
import type { DatasetIngestor } from "./dataset-ingestor";
import { fetchPage, type FetchPolicy, type RetryNotice, type SourceEndpoint } from "./http-source";
import { landedByEarlierTries, LandingFile, readLanded, type RunFolder } from "./lake";
import type { ObjectStore } from "../storage/store";
import type { Dataset } from "./records";

export interface SourceSettings {
  endpoint: SourceEndpoint;
  pageSize: number;
  concurrency: number;
  policy: FetchPolicy;
}

/** If `total` still moves after this many full reads, the run fails rather than guess. */
const MAX_PASSES = 3;

/** Runs `work` for each page in [from, to] with at most `limit` at once; stops taking pages after a failure. */
async function forEachPage(from: number, to: number, limit: number, work: (page: number) => Promise<void>): Promise<void> {
  let next = from;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next <= to) {
      const page = next++;
      try {
        await work(page);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, Math.max(0, to - from + 1)) }, worker));
  if (failure !== undefined) throw failure;
}

/** Consecutive empty pages before the end the source announced after which reading stops: its `total` is not to be believed. */
export const EMPTY_PAGES_LIMIT = 3;

/** The first page of EMPTY_PAGES_LIMIT consecutive empty pages that include `page`, if there is such a run. */
function emptyRunAround(empty: Set<number>, page: number): number | null {
  for (let start = page - EMPTY_PAGES_LIMIT + 1; start <= page; start++) {
    if (Array.from({ length: EMPTY_PAGES_LIMIT }, (_, i) => start + i).every((p) => empty.has(p))) return start;
  }
  return null;
}

/** What a page's envelope said, whether fetched now or landed by an earlier try. */
type PageSeen = { total: number; pages: number; size: number; count: number };

/**
 * Pages tries before this one landed, fed to the ingestor again (loading is idempotent, and a failed
 * try may not have loaded its last pages): a retried task then asks the source only for the rest.
 */
async function resumeEarlierTries(
  ctx: TaskContext,
  dataset: Dataset,
  store: ObjectStore,
  pageSize: number,
  ingestor: DatasetIngestor,
): Promise<Map<number, PageSeen>> {
  const resumed = new Map<number, PageSeen>();
  if (ctx.tryNumber <= 1) return resumed;
  let records = 0;
  for await (const envelope of landedByEarlierTries(store, dataset, ctx.run.id, ctx.tryNumber, pageSize)) {
    ctx.signal.throwIfAborted();
    await ingestor.addPage(envelope.items);
    resumed.set(envelope.page, { total: envelope.total, pages: envelope.pages, size: envelope.size, count: envelope.items.length });
    records += envelope.items.length;
  }
  if (resumed.size > 0) ctx.log(`resumed ${resumed.size} pages (${records} records) that earlier tries of this run landed; only the other pages are fetched`);
  return resumed;
}

/**
 * Reads every page of `dataset` from the source, lands each raw page in the lake, then hands its
 * records to the ingestor. When `total` changes while reading (records added or removed under us),
 * reads every page again, so the run ends with every record the source has. A retried try starts
 * from the pages earlier tries of the run landed.
 */
export async function extractFromSource(ctx: TaskContext, dataset: Dataset, source: SourceSettings, folder: RunFolder, ingestor: DatasetIngestor) {
  const onRetry = (n: RetryNotice) =>
    ctx.log(
      `GET ${n.url}: ${n.reason}; retry ${n.attempt} in ${Math.round(n.delayMs)} ms (${Math.round(n.budgetLeftMs / 1000)} s left of the page's retry budget)`,
    );
  for (let pass = 1; ; pass++) {
    await ingestor.startPass(pass);
    // Only the first pass resumes: a later one exists to read every page again.
    const resumed = pass === 1 ? await resumeEarlierTries(ctx, dataset, folder.store, source.pageSize, ingestor) : new Map<number, PageSeen>();
    const landing = LandingFile.open(folder, `try${ctx.tryNumber}-pass${pass}`);
    const take = async (page: number): Promise<PageSeen> => {
      const landed = resumed.get(page);
      if (landed) return landed;
      ctx.signal.throwIfAborted();
      const { page: envelope, raw } = await fetchPage(source.endpoint, dataset, page, source.pageSize, source.policy, onRetry, ctx.signal);
      await landing.write(raw);
      await ingestor.addPage(envelope.items);
      return { total: envelope.total, pages: envelope.pages, size: envelope.size, count: envelope.items.length };
    };
    const totals = new Set<number>();
    let fetched = 0;
    try {
      const first = await take(1);
      totals.add(first.total);
      fetched += first.count;
      // `pages` may understate what `total` says (a source's bug): read as far as either goes.
      const pages = Math.max(first.pages, Math.ceil(first.total / first.size));
      let done = 1;
      ctx.progress(done, pages);
      ctx.log(
        `pass ${pass}: ${first.total} records in ${pages} pages of ${first.size}${pages !== first.pages ? ` (the source said ${first.pages} pages)` : ""}`,
      );
      let lastPageFull = pages === 1 && first.count >= first.size;
      const empty = new Set<number>();
      await forEachPage(2, pages, source.concurrency, async (page) => {
        const envelope = await take(page);
        fetched += envelope.count;
        if (page === pages) lastPageFull = envelope.count >= envelope.size;
        if (!totals.has(envelope.total)) {
          totals.add(envelope.total);
          ctx.log(`total changed during pass ${pass}: ${first.total} at page 1, ${envelope.total} at page ${page}`);
        }
        ctx.progress(++done, pages);
        // A `total` far past the data would cost a request per empty page, under the lock: a run of them ends the read.
        // Only pages their own envelope says hold records count (a total that shrank explains the others).
        if (envelope.count === 0 && page <= Math.ceil(envelope.total / envelope.size)) {
          empty.add(page);
          const start = emptyRunAround(empty, page);
          if (start !== null) {
            throw new Error(
              `the source said it holds ${envelope.total} records in ${pages} pages, but pages ${start}–${start + EMPTY_PAGES_LIMIT - 1} came back empty ` +
                `after ${fetched} records; stopped reading after ${done} of the ${pages} pages`,
            );
          }
        }
      });
      // A full last page may not be the last: read on until a page comes back short.
      for (let page = pages + 1; lastPageFull; page++) {
        const envelope = await take(page);
        fetched += envelope.count;
        lastPageFull = envelope.count > 0 && envelope.count >= envelope.size;
        if (envelope.count > 0) ctx.log(`page ${page}, past the ${pages} pages the source announced, held ${envelope.count} records`);
        ctx.progress(++done, Math.max(done, pages));
      }
      ingestor.sourceSaid(first.total, fetched);
    } catch (error) {
      await landing.abandon();
      throw error;
    }
    await landing.close();
    if (totals.size === 1) return;
    if (pass >= MAX_PASSES) throw new Error(`the source's total kept changing through ${MAX_PASSES} full reads (${[...totals].join(", ")}); try again later`);
    ctx.log(`reading every page again so that no record shifted between pages is missed`);
  }
}

/** Reads the records an earlier run landed, instead of the source. */
export async function extractFromLake(ctx: TaskContext, dataset: Dataset, store: ObjectStore, runId: number, ingestor: DatasetIngestor) {
  let pages = 0;
  let records = 0;
  for await (const page of readLanded(store, dataset, runId)) {
    ctx.signal.throwIfAborted();
    await ingestor.addPage(page.items);
    records += page.items.length;
    ctx.progress(++pages, null);
  }
  if (pages === 0) throw new Error(`run ${runId} landed no ${dataset} pages in ${store.url}`);
  ctx.progress(pages, pages);
  ctx.log(`replayed ${records} records from ${pages} landed pages of run ${runId}`);
}
