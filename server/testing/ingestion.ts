import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Database } from "../db/client";
import type { PipelineRun } from "../db/generated/client";
import { DEFAULT_INGESTION, ingestionPipeline, type IngestionConfig } from "../ingestion/pipeline";
import { recordKey, recordSchemas, type Dataset } from "../ingestion/records";
import { reconcileOutput } from "../ingestion/outputs";
import { startRun, waitForRun } from "../pipeline/runner";
import type { TriggerRequest } from "../pipeline/types";
import type { Catalogue, CatalogueOptions } from "../simulator/catalogue";
import type { Faults } from "../simulator/faults";
import { catalogueOptions } from "../simulator/options";
import { startSimulator, type Simulator } from "../simulator/server";
import { openStore } from "../storage/open";

export const SMALL_REALISTIC: Partial<CatalogueOptions> = { tracks: 400, users: 250, histories: 900, itemsPerHistory: 10 };

export function startTestSimulator(
  mode: "original" | "realistic" = "realistic",
  seed = 7,
  faults: Partial<Faults> = {},
  sizes = mode === "realistic" ? SMALL_REALISTIC : {},
): Promise<Simulator> {
  return startSimulator({ ...catalogueOptions(mode, seed, sizes), faults });
}

export async function tempLake(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "encore-lake-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Short timeouts and delays, so fault tests take seconds, not minutes. */
export function testConfig(sourceUrl: string | undefined, storage: string, overrides: Partial<IngestionConfig> = {}): IngestionConfig {
  return {
    ...DEFAULT_INGESTION,
    sourceUrl,
    store: openStore(storage),
    batchSize: 300,
    concurrency: 4,
    fetchPolicy: { timeoutMs: 1000, budgetMs: 20_000, maxAttempts: 8, baseDelayMs: 10, maxDelayMs: 1500 },
    // One try per task unless a test asks for more: a failing test then fails once, not thrice.
    taskRetries: 0,
    taskRetryDelayMs: 10,
    ...overrides,
  };
}

export async function ingest(database: Database, config: IngestionConfig, request: TriggerRequest = { trigger: "cli" }): Promise<PipelineRun> {
  const started = await startRun(database, ingestionPipeline(config), request);
  return started.deduped ? waitForRun(database, started.run.id) : started.finished;
}

export async function tableCounts(database: Database): Promise<Record<Dataset, number>> {
  const [tracks, users, listen_history] = await Promise.all([database.db.track.count(), database.db.user.count(), database.db.listenHistory.count()]);
  return { tracks, users, listen_history };
}

/** What the tables must hold after ingesting the catalogue: one row per distinct natural key. */
export function expectedCounts(catalogue: Catalogue): Record<Dataset, number> {
  const distinct = (dataset: Dataset) => new Set(catalogue.list(dataset).map((r) => recordKey(dataset, recordSchemas[dataset].parse(r) as never))).size;
  return { tracks: distinct("tracks"), users: distinct("users"), listen_history: distinct("listen_history") };
}

/** A run's reconciliation, per dataset, as its reconcile task's latest try measured it (failed or not). */
export async function reconciliationOf(database: Database, runId: number) {
  const latest = await database.db.taskRun.findFirstOrThrow({ where: { runId, task: reconcileOutput.task }, orderBy: { tryNumber: "desc" } });
  return reconcileOutput.schema.parse(latest.details).reconciliation;
}

export async function taskRows(database: Database, runId: number) {
  const tasks = await database.db.taskRun.findMany({ where: { runId }, orderBy: { id: "asc" } });
  return Object.fromEntries(tasks.map((t) => [t.task, t]));
}
