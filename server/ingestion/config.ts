import type { Env } from "../config/env";
import { storeOf } from "../storage/open";
import { DEFAULT_INGESTION, type IngestionConfig } from "./pipeline";

export function ingestionConfig(env: Env): IngestionConfig {
  return {
    ...DEFAULT_INGESTION,
    sourceUrl: env.MOOVITAMIX_URL,
    sourceToken: env.MOOVITAMIX_TOKEN,
    store: storeOf(env),
    pageSize: env.INGEST_PAGE_SIZE,
    concurrency: env.INGEST_CONCURRENCY,
    batchSize: env.INGEST_BATCH_SIZE,
    taskRetries: env.INGEST_TASK_RETRIES,
    lakeKeepDays: env.LAKE_KEEP_DAYS,
    fetchPolicy: {
      ...DEFAULT_INGESTION.fetchPolicy,
      timeoutMs: env.INGEST_TIMEOUT_MS,
      budgetMs: env.INGEST_RETRY_BUDGET_MS,
      maxAttempts: env.INGEST_MAX_ATTEMPTS ?? Number.POSITIVE_INFINITY,
    },
    checkPolicy: {
      freshnessWarnHours: env.FRESHNESS_WARN_HOURS,
      freshnessErrorHours: env.FRESHNESS_ERROR_HOURS,
      orphanErrorShare: env.CHECK_ORPHAN_ERROR_SHARE,
      vanishedWarnShare: env.CHECK_VANISHED_WARN_SHARE,
      vanishedErrorShare: env.CHECK_VANISHED_ERROR_SHARE,
    },
  };
}
