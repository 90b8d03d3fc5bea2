import type { Database } from "../db/client";
import type { CheckLevel } from "../db/generated/client";
import { declareCheck, grade, percent, type DataCheck, type Measured } from "../pipeline/checks";
import { median } from "../lib/percentiles";
import { DATASETS, type Dataset } from "./records";
import { readOutput } from "../pipeline/outputs";
import { datasetOutputs, reconcileOutput } from "./outputs";
import { FUTURE_HORIZON_MS } from "./validate";

/** The ingestion's data checks: they know the source's datasets; the ledger's check machinery does not. */
export interface CheckPolicy {
  freshnessWarnHours: number;
  freshnessErrorHours: number;
  /** unset: orphans only warn (the source's items may name tracks it never sends) */
  orphanErrorShare?: number;
  /** share of the previous read's keys a full read no longer holds */
  vanishedWarnShare: number;
  vanishedErrorShare: number;
}

type IngestionCheck = DataCheck<CheckPolicy>;

/** The latest successful try of each dataset task of a run. */
async function datasetTasks(database: Database, runId: number) {
  const tasks = await database.db.taskRun.findMany({ where: { runId, status: "success" }, orderBy: { tryNumber: "asc" } });
  return new Map(tasks.map((t) => [t.task, t]));
}

// Each check's thresholds, written once: graded with, stored with its outcome, and shown in the docs.
const ROW_COUNT = { warnAbove: 0.2, errorAbove: 0.5 };
const REQUIRED_FIELDS = { warnAbove: 0.01, errorAbove: 0.05 };
const DUPLICATE_KEYS = { warnAbove: 0, errorAbove: 0.05 };
const ORPHAN_WARN_ABOVE = 0.05;
const WAITING_FOR_USER = { warnAbove: 0.01, errorAbove: 0.1 };

/** Rows fetched per dataset against the median of the last 7 successful runs: a drop over half is an error, over a fifth a warning. */
export const rowCountCheck: IngestionCheck = declareCheck(
  {
    name: "row_count",
    per: "dataset",
    warn: `rows fetched over ${percent(ROW_COUNT.warnAbove)} below the median of the last 7 successful runs`,
    error: `over ${percent(ROW_COUNT.errorAbove)} below`,
  },
  async ({ database, run }) => {
    const current = await datasetTasks(database, run.id);
    const previous = await database.db.pipelineRun.findMany({
      where: { pipeline: run.pipeline, status: "success", id: { lt: run.id } },
      orderBy: { id: "desc" },
      take: 7,
      include: { tasks: { where: { status: "success" }, select: { task: true, rowsFetched: true } } },
    });
    return DATASETS.map((dataset) => {
      const rows = current.get(dataset)?.rowsFetched ?? 0;
      const history = previous.flatMap((r) => r.tasks.filter((t) => t.task === dataset).map((t) => t.rowsFetched));
      if (history.length === 0)
        return { dataset, level: "ok", measured: { rows, baselineRuns: 0 }, message: `${rows} rows; no earlier successful run to compare with yet` };
      const baseline = median(history);
      const drop = baseline > 0 ? Math.max(0, 1 - rows / baseline) : 0;
      return {
        dataset,
        level: grade(drop, ROW_COUNT.warnAbove, ROW_COUNT.errorAbove),
        measured: { rows, baseline, baselineRuns: history.length, drop, ...ROW_COUNT },
        message: `${rows} rows against a median of ${baseline} over the last ${history.length} successful runs (${drop > 0 ? `${percent(drop)} fewer` : "no drop"})`,
      };
    });
  },
);

const EMPTY_REQUIRED: Record<Dataset, string> = {
  tracks: "name = '' OR artist = '' OR duration = '' OR genres = '' OR album = ''",
  users: "first_name = '' OR last_name = '' OR email = '' OR favorite_genres = ''",
  listen_history: "cardinality(items) = 0",
};

/** Records missing a required field: rejected ones this run (missing or mistyped) plus empty values in the table. */
export const requiredFieldsCheck: IngestionCheck = declareCheck(
  {
    name: "required_fields",
    per: "dataset",
    warn: `over ${percent(REQUIRED_FIELDS.warnAbove)} of fetched records rejected for a missing/wrong field, or of rows with an empty required value`,
    error: `over ${percent(REQUIRED_FIELDS.errorAbove)}`,
  },
  async ({ database, run }) => {
    const tasks = await datasetTasks(database, run.id);
    const invalid = await database.db.quarantinedRecord.groupBy({ by: ["dataset"], where: { runId: run.id, reasonCode: "invalid" }, _count: true });
    const invalidBy = new Map(invalid.map((r) => [r.dataset, r._count]));
    return Promise.all(
      DATASETS.map(async (dataset): Promise<Measured> => {
        const fetched = tasks.get(dataset)?.rowsFetched ?? 0;
        const rejected = invalidBy.get(dataset) ?? 0;
        const { rows } = await database.pool.query<{ total: string; empty: string }>(
          `SELECT count(*) AS total, count(*) FILTER (WHERE ${EMPTY_REQUIRED[dataset]}) AS empty FROM ${dataset}`,
        );
        const total = Number(rows[0]!.total);
        const empty = Number(rows[0]!.empty);
        const rejectedShare = fetched > 0 ? rejected / fetched : 0;
        const emptyShare = total > 0 ? empty / total : 0;
        const share = Math.max(rejectedShare, emptyShare);
        return {
          dataset,
          level: grade(share, REQUIRED_FIELDS.warnAbove, REQUIRED_FIELDS.errorAbove),
          measured: { rejected, fetched, rejectedShare, empty, rows: total, emptyShare, ...REQUIRED_FIELDS },
          message: `${rejected} of ${fetched} fetched records lacked a required field (${percent(rejectedShare)}); ${empty} of ${total} rows have an empty one (${percent(emptyShare)})`,
        };
      }),
    );
  },
);

/** The same natural key sent more than once within one read of the source (a record on two pages). */
export const duplicateKeysCheck: IngestionCheck = declareCheck(
  {
    name: "duplicate_keys",
    per: "dataset",
    warn: "any record sent twice within one read of the source",
    error: `over ${percent(DUPLICATE_KEYS.errorAbove)}`,
  },
  async ({ database, run }) => {
    const { reconciliation } = await readOutput(database.db, run.id, reconcileOutput);
    return DATASETS.map((dataset) => {
      const r = reconciliation[dataset];
      const repeats = r?.sourceRepeats ?? 0;
      const share = r && r.fetched > 0 ? repeats / r.fetched : 0;
      return {
        dataset,
        level: grade(share, DUPLICATE_KEYS.warnAbove, DUPLICATE_KEYS.errorAbove),
        measured: { repeats, fetched: r?.fetched ?? 0, share, ...DUPLICATE_KEYS },
        message: `${repeats} records came more than once (${percent(share)} of ${r?.fetched ?? 0}); each was loaded once`,
      };
    });
  },
);

/**
 * Share of the items in this run's histories naming a track that is not in `tracks`: counted by the
 * listen_history task against the track ids it read, so the check costs no pass over the table.
 */
export const orphanItemsCheck: IngestionCheck = declareCheck(
  {
    name: "orphan_items",
    per: "listen_history",
    warn: `over ${percent(ORPHAN_WARN_ABOVE)} of the items in this run's histories name a track not in \`tracks\``,
    error: "over `CHECK_ORPHAN_ERROR_SHARE` (unset: never)",
  },
  async ({ database, run, policy }) => {
    const counted = await readOutput(database.db, run.id, datasetOutputs.listen_history);
    const items = counted.items ?? 0;
    const orphans = counted.orphanItems ?? 0;
    const share = items > 0 ? orphans / items : 0;
    return [
      {
        dataset: "listen_history",
        level: grade(share, ORPHAN_WARN_ABOVE, policy.orphanErrorShare),
        measured: { items, orphans, share, warnAbove: ORPHAN_WARN_ABOVE, errorAbove: policy.orphanErrorShare ?? null },
        message: `${orphans} of the ${items} items in this run's histories name a track not in tracks (${percent(share)})`,
      },
    ];
  },
);

/** Histories waiting in quarantine for a user the source has not sent. */
export const waitingForUserCheck: IngestionCheck = declareCheck(
  {
    name: "waiting_for_user",
    per: "listen_history",
    warn: `over ${percent(WAITING_FOR_USER.warnAbove)} of histories wait in quarantine for their user`,
    error: `over ${percent(WAITING_FOR_USER.errorAbove)}`,
  },
  async ({ database }) => {
    const { rows } = await database.pool.query<{ waiting: string; loaded: string }>(`
    SELECT (SELECT count(DISTINCT record_key) FROM quarantine WHERE reason_code = 'unknown_user' AND resolved_at IS NULL) AS waiting,
           (SELECT count(*) FROM listen_history) AS loaded`);
    const waiting = Number(rows[0]!.waiting);
    const loaded = Number(rows[0]!.loaded);
    const share = waiting + loaded > 0 ? waiting / (waiting + loaded) : 0;
    return [
      {
        dataset: "listen_history",
        level: grade(share, WAITING_FOR_USER.warnAbove, WAITING_FOR_USER.errorAbove),
        measured: { waiting, loaded, share, ...WAITING_FOR_USER },
        message: `${waiting} histories wait in quarantine for their user (${percent(share)} of all histories)`,
      },
    ];
  },
);

export interface Freshness {
  dataset: Dataset;
  newest: Date | null;
  /** null when the table is empty */
  ageHours: number | null;
  level: CheckLevel;
}

/** Age of the newest updated_at per dataset, graded by the policy (an empty table is an error). Shared by the check and the Overview. */
export async function datasetFreshness(
  database: Database,
  policy: Pick<CheckPolicy, "freshnessWarnHours" | "freshnessErrorHours">,
  now: Date,
): Promise<Freshness[]> {
  const { rows } = await database.pool.query<{ dataset: Dataset; newest: Date | null }>(`
    SELECT 'tracks' AS dataset, max(updated_at) AS newest FROM tracks
    UNION ALL SELECT 'users', max(updated_at) FROM users
    UNION ALL SELECT 'listen_history', max(updated_at) FROM listen_history`);
  return rows.map(({ dataset, newest }) => {
    const ageHours = newest ? (now.getTime() - newest.getTime()) / 3_600_000 : null;
    // A newest time in the future is a clock or a source gone wrong, not fresh data (and would hide staleness for ever).
    const future = ageHours !== null && ageHours < -FUTURE_TOLERANCE_HOURS;
    return {
      dataset,
      newest,
      ageHours,
      level: future ? "error" : grade(ageHours ?? Number.POSITIVE_INFINITY, policy.freshnessWarnHours, policy.freshnessErrorHours),
    };
  });
}

/** Clocks and zones differ; past the horizon ingestion accepts, a newest updated_at ahead of now is an error. */
const FUTURE_TOLERANCE_HOURS = FUTURE_HORIZON_MS / 3_600_000;

const freshnessMessage = (newest: Date, ageHours: number) =>
  ageHours < -FUTURE_TOLERANCE_HOURS
    ? `newest updated_at is ${(-ageHours).toFixed(1)} h in the future (${newest.toISOString()})`
    : `newest updated_at is ${ageHours.toFixed(1)} h old (${newest.toISOString()})`;

export const freshnessCheck: IngestionCheck = declareCheck(
  {
    name: "freshness",
    per: "dataset",
    warn: "newest `updated_at` older than `FRESHNESS_WARN_HOURS`",
    error: "older than `FRESHNESS_ERROR_HOURS`, or over a day in the future",
  },
  async ({ database, policy, now }) =>
    (await datasetFreshness(database, policy, now)).map(({ dataset, newest, ageHours, level }) => ({
      dataset,
      level,
      measured: { newest: newest?.toISOString() ?? null, ageHours, warnAbove: policy.freshnessWarnHours, errorAbove: policy.freshnessErrorHours },
      message: newest && ageHours !== null ? freshnessMessage(newest, ageHours) : "no rows at all",
    })),
);

/** Rows a full read of the source no longer held, against what the previous reads held (measured by reconciliation). */
export const vanishedRecordsCheck: IngestionCheck = declareCheck(
  {
    name: "vanished_records",
    per: "dataset",
    warn: "over `CHECK_VANISHED_WARN_SHARE` (1%) of the previous reads' records no longer served",
    error: "over `CHECK_VANISHED_ERROR_SHARE` (20%), e.g. a source restarted with other data",
  },
  async ({ database, run, policy }) => {
    const { reconciliation } = await readOutput(database.db, run.id, reconcileOutput);
    return DATASETS.map((dataset): Measured => {
      const v = reconciliation[dataset]?.vanished;
      const thresholds = { warnAbove: policy.vanishedWarnShare, errorAbove: policy.vanishedErrorShare };
      if (!v) return { dataset, level: "ok", measured: { ...thresholds }, message: "not measured: this run did not read the source in full (a replay)" };
      const share = v.previousRead > 0 ? v.vanished / v.previousRead : 0;
      return {
        dataset,
        level: grade(share, policy.vanishedWarnShare, policy.vanishedErrorShare),
        measured: { ...v, share, ...thresholds },
        message: `${v.vanished} of the ${v.previousRead} records of earlier reads are no longer served (${percent(share)}); ${v.returned} came back; ${v.gone} gone from the source in all, kept in the table`,
      };
    });
  },
);

/** Records that came with an updated_at older than the stored version of their key: a source restored or reset. */
export const updatedAtBackwardsCheck: IngestionCheck = declareCheck(
  {
    name: "updated_at_backwards",
    per: "dataset",
    warn: "any record older than the stored version of its key",
    error: "—",
  },
  async ({ database, run }) => {
    const measured = await Promise.all(DATASETS.map((dataset) => readOutput(database.db, run.id, datasetOutputs[dataset])));
    return DATASETS.map((dataset, i) => {
      const backwards = measured[i]!.updatedAtBackwards;
      return {
        dataset,
        level: backwards > 0 ? "warn" : "ok",
        measured: { backwards },
        message:
          backwards > 0
            ? `${backwards} records came older than the version already stored (was the source reset?); the stored versions were kept`
            : "no record went back in time",
      };
    });
  },
);

/** Fields in source records the pipeline does not know: the source's schema moved. */
export const schemaDriftCheck: IngestionCheck = declareCheck(
  {
    name: "schema_drift",
    per: "dataset",
    warn: "the source sent fields the pipeline does not know",
    error: "—",
  },
  async ({ database, run }) => {
    const measured = await Promise.all(DATASETS.map((dataset) => readOutput(database.db, run.id, datasetOutputs[dataset])));
    return DATASETS.map((dataset, i) => {
      const unknown = measured[i]!.unknownFields;
      const fields = Object.keys(unknown);
      return {
        dataset,
        level: fields.length ? "warn" : "ok",
        measured: { unknownFields: unknown },
        message: fields.length ? `the source sent fields the pipeline does not know: ${fields.join(", ")}` : "no unknown fields",
      };
    });
  },
);

export const DATA_CHECKS: IngestionCheck[] = [
  rowCountCheck,
  requiredFieldsCheck,
  duplicateKeysCheck,
  orphanItemsCheck,
  waitingForUserCheck,
  freshnessCheck,
  schemaDriftCheck,
  vanishedRecordsCheck,
  updatedAtBackwardsCheck,
];
