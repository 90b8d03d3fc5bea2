import { z } from "zod";
import { checkTask } from "../pipeline/checks";
import { DATA_CHECKS, type CheckPolicy } from "./checks";
import type { PipelineDefinition, TaskContext } from "../pipeline/types";
import { DatasetIngestor } from "./dataset-ingestor";
import { IdSet } from "./id-set";
import { extractFromLake, extractFromSource } from "./extract";
import { DEFAULT_FETCH_POLICY, type FetchPolicy } from "./http-source";
import { runFolder } from "./lake";
import type { Dataset } from "./records";
import { reconcileRun } from "./reconcile";
import { lakeRetentionOutput } from "./outputs";
import { pruneLake, runsNeedingPages } from "./retention";
import { writeOutput } from "../pipeline/outputs";
import { publishVanished } from "./vanished";
import { splitCredentials } from "../lib/redact";
import { loadHistoriesWhoseUserArrived } from "./waiting";
import { foldListenCounts } from "../db/listen-counts";
import type { ObjectStore } from "../storage/store";

export const INGEST_PIPELINE = "ingest";

export interface IngestionConfig {
  checkPolicy: CheckPolicy;
  /** MooVitamix base URL; may be unset only for replays */
  sourceUrl: string | undefined;
  /** bearer token for the source (MOOVITAMIX_TOKEN) */
  sourceToken?: string;
  /** where raw pages land, and replays read them */
  store: ObjectStore;
  pageSize: number;
  concurrency: number;
  batchSize: number;
  fetchPolicy: FetchPolicy;
  /** tries of a failed dataset task after the first, in the same run; each resumes from the pages landed */
  taskRetries: number;
  /** wait before the first of them, doubled for each next one */
  taskRetryDelayMs: number;
  /** days of raw pages kept in the lake */
  lakeKeepDays: number;
}

export const DEFAULT_INGESTION: Omit<IngestionConfig, "sourceUrl" | "store"> = {
  checkPolicy: { freshnessWarnHours: 36, freshnessErrorHours: 72, vanishedWarnShare: 0.01, vanishedErrorShare: 0.2 },
  pageSize: 100,
  concurrency: 8,
  batchSize: 50_000,
  fetchPolicy: DEFAULT_FETCH_POLICY,
  taskRetries: 2,
  taskRetryDelayMs: 30_000,
  lakeKeepDays: 30,
};

/** What a run was asked to do; stored as the run's params. */
export const ingestParams = z.object({ replayOf: z.number().int().positive().optional() });
export type IngestParams = z.infer<typeof ingestParams>;

const paramsOf = (ctx: TaskContext): IngestParams => ingestParams.parse(ctx.run.params ?? {});

/**
 * The keys earlier reads of `dataset` recorded: earlier runs' (reconciled by now; only one run
 * ingests at a time) and this run's earlier tries' (this try reads their pages again).
 */
async function forgetEarlierReads(ctx: TaskContext, dataset: Dataset) {
  await ctx.database.pool.query(`DELETE FROM ingest_read_keys WHERE dataset = $1 AND (run_id <> $2 OR try_number < $3)`, [dataset, ctx.run.id, ctx.tryNumber]);
}

async function ingestDataset(ctx: TaskContext, dataset: Dataset, config: IngestionConfig) {
  const folder = runFolder(config.store, dataset, ctx.run.id, ctx.run.startedAt ?? new Date());
  // listen_history runs after tracks and users: their ids are what its records refer to.
  const known =
    dataset === "listen_history"
      ? await Promise.all([IdSet.of(ctx.database.pool, "tracks"), IdSet.of(ctx.database.pool, "users")]).then(([tracks, users]) => ({ tracks, users }))
      : undefined;
  const ingestor = new DatasetIngestor(ctx, dataset, config.batchSize, known);
  // A retried try reads its records again (from the lake or the source) and quarantines the rejected ones again.
  if (ctx.tryNumber > 1) await ctx.database.pool.query(`DELETE FROM quarantine WHERE run_id = $1 AND dataset = $2`, [ctx.run.id, dataset]);
  await forgetEarlierReads(ctx, dataset);
  const { replayOf } = paramsOf(ctx);
  try {
    if (replayOf !== undefined) {
      await extractFromLake(ctx, dataset, config.store, replayOf, ingestor);
    } else {
      if (!config.sourceUrl) throw new Error("no source: set MOOVITAMIX_URL, or start Encore with npm start for the built-in simulator");
      // Credentials travel in a header, never in a URL that could reach a log, the ledger or an alert.
      const endpoint = splitCredentials(config.sourceUrl, config.sourceToken);
      await extractFromSource(
        ctx,
        dataset,
        { endpoint, pageSize: config.pageSize, concurrency: config.concurrency, policy: config.fetchPolicy },
        folder,
        ingestor,
      );
    }
  } catch (error) {
    await ingestor.abandon();
    throw error;
  }
  await ingestor.finish();
}

/** The task that ends an ingestion's own work: what follows it may rely on published data. */
export const INGEST_LAST_TASK = "publish";

export const LAKE_RETENTION_TASK = "lake-retention";

/**
 * Raw pages past the kept days go, once this run published (its own pages are whole and in the window).
 * Here rather than in training: the ingest run is the one that lands pages every day, and only one runs at a time.
 */
async function lakeRetentionTask(ctx: TaskContext, config: IngestionConfig) {
  const cutoff = new Date(Date.now() - config.lakeKeepDays * 86_400_000);
  const neededRuns = await runsNeedingPages(ctx.database.db, cutoff);
  const { deletedFiles, prunedRuns } = await pruneLake(config.store, cutoff, neededRuns);
  const cutoffDay = cutoff.toISOString().slice(0, 10);
  ctx.log(`lake: deleted ${deletedFiles} files landed before ${cutoffDay}${prunedRuns.length ? ` by runs ${prunedRuns.join(", ")}` : ""}`);
  writeOutput(ctx, lakeRetentionOutput, { cutoffDay, deletedFiles, prunedRuns, neededRuns });
}

/**
 * The daily ingestion: tracks and users at once, then listen_history (which needs both), then a
 * reconciliation proving every source record is in its table or in quarantine, then the data checks,
 * and only then what the run concluded about vanished records; then the lake's old pages are deleted.
 */
export function ingestionPipeline(config: IngestionConfig): PipelineDefinition {
  const retried = { retries: config.taskRetries, retryDelayMs: config.taskRetryDelayMs };
  return {
    name: INGEST_PIPELINE,
    tasks: [
      { name: "tracks", ...retried, run: (ctx) => ingestDataset(ctx, "tracks", config) },
      { name: "users", ...retried, run: (ctx) => ingestDataset(ctx, "users", config) },
      {
        name: "listen_history",
        needs: ["tracks", "users"],
        ...retried,
        run: async (ctx) => {
          await ingestDataset(ctx, "listen_history", config);
          await loadHistoriesWhoseUserArrived(ctx);
          // Also what an interrupted try or run left: its committed batches' deltas wait for a fold.
          ctx.log(`listens per track: ${await foldListenCounts(ctx.database.pool)} tracks changed`);
        },
      },
      {
        name: "reconcile",
        needs: ["listen_history"],
        run: (ctx) => reconcileRun(ctx),
      },
      { name: "checks", needs: ["reconcile"], run: (ctx) => checkTask(ctx, DATA_CHECKS, config.checkPolicy) },
      // Last, so that only a run whose checks passed changes what serving and training leave out.
      {
        name: INGEST_LAST_TASK,
        needs: ["checks"],
        run: async (ctx) => {
          const { gone, back } = await publishVanished(ctx.database.pool, ctx.run.id);
          ctx.log(`source_vanished: ${gone} rows marked gone, ${back} back`);
          ctx.detail({ vanishedPublished: { gone, back } });
        },
      },
      { name: LAKE_RETENTION_TASK, needs: [INGEST_LAST_TASK], run: (ctx) => lakeRetentionTask(ctx, config) },
    ],
  };
}
