import type { TaskContext } from "../pipeline/types";
import type { DatasetIngestor } from "./dataset-ingestor";
import { fetchPage, type FetchPolicy, type RetryNotice, type SourceEndpoint } from "./http-source";
import { LandingFile, readLanded } from "./lake";
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

/**
 * Reads every page of `dataset` from the source, lands each raw page in the lake, then hands its
 * records to the ingestor. When `total` changes while reading (records added or removed under us),
 * reads every page again, so the run ends with every record the source has.
 */
export async function extractFromSource(ctx: TaskContext, dataset: Dataset, source: SourceSettings, dir: string, ingestor: DatasetIngestor) {
  const onRetry = (n: RetryNotice) =>
    ctx.log(`GET ${n.url}: ${n.reason}; retry ${n.attempt}/${n.maxAttempts - 1} in ${Math.round(n.delayMs)} ms`);
  for (let pass = 1; ; pass++) {
    ingestor.startPass(pass);
    const landing = await LandingFile.open(dir, `try${ctx.tryNumber}-pass${pass}`);
    const take = async (page: number) => {
      ctx.signal.throwIfAborted();
      const { page: envelope, raw } = await fetchPage(source.endpoint, dataset, page, source.pageSize, source.policy, onRetry, ctx.signal);
      await landing.write(raw);
      await ingestor.addPage(envelope.items);
      return envelope;
    };
    const totals = new Set<number>();
    let fetched = 0;
    try {
      const first = await take(1);
      totals.add(first.total);
      fetched += first.items.length;
      // `pages` may understate what `total` says (a source's bug): read as far as either goes.
      const pages = Math.max(first.pages, Math.ceil(first.total / first.size));
      let done = 1;
      ctx.progress(done, pages);
      ctx.log(`pass ${pass}: ${first.total} records in ${pages} pages of ${first.size}${pages !== first.pages ? ` (the source said ${first.pages} pages)` : ""}`);
      let lastPageFull = pages === 1 && first.items.length >= first.size;
      await forEachPage(2, pages, source.concurrency, async (page) => {
        const envelope = await take(page);
        fetched += envelope.items.length;
        if (page === pages) lastPageFull = envelope.items.length >= envelope.size;
        if (!totals.has(envelope.total)) {
          totals.add(envelope.total);
          ctx.log(`total changed during pass ${pass}: ${first.total} at page 1, ${envelope.total} at page ${page}`);
        }
        ctx.progress(++done, pages);
      });
      // A full last page may not be the last: read on until a page comes back short.
      for (let page = pages + 1; lastPageFull; page++) {
        const envelope = await take(page);
        fetched += envelope.items.length;
        lastPageFull = envelope.items.length > 0 && envelope.items.length >= envelope.size;
        if (envelope.items.length > 0) ctx.log(`page ${page}, past the ${pages} pages the source announced, held ${envelope.items.length} records`);
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
export async function extractFromLake(ctx: TaskContext, dataset: Dataset, lakeDir: string, runId: number, ingestor: DatasetIngestor) {
  let pages = 0;
  let records = 0;
  for await (const page of readLanded(lakeDir, dataset, runId)) {
    ctx.signal.throwIfAborted();
    await ingestor.addPage(page.items);
    records += page.items.length;
    ctx.progress(++pages, null);
  }
  if (pages === 0) throw new Error(`run ${runId} landed no ${dataset} pages in ${lakeDir}`);
  ctx.progress(pages, pages);
  ctx.log(`replayed ${records} records from ${pages} landed pages of run ${runId}`);
}
