import { z } from "zod";
import { taskOutput } from "../pipeline/outputs";
import { DATASETS, type Dataset } from "./records";

const count = z.number().int().nonnegative();

/** What one full read of the source told about rows it no longer holds. */
export const vanishedCount = z.object({
  /** rows the previous reads held: in the table and not already gone */
  previousRead: count,
  /** of those, the ones this read did not hold */
  vanished: count,
  /** gone rows this read held again */
  returned: count,
  /** rows gone from the source now, whenever first missed */
  gone: count,
});
export type VanishedCount = z.infer<typeof vanishedCount>;

/** One dataset's proof that nothing was lost (the reconcile task). */
export const datasetReconciliation = z.object({
  /** records the source sent, repeats included */
  fetched: count,
  /** failed validation; each must be in quarantine */
  invalid: count,
  invalidQuarantined: count,
  /** distinct natural keys among the valid records */
  distinct: count,
  /** fetched again: by the source within one read, or by a second read */
  repeats: count,
  /** of which the source sent twice within one read */
  sourceRepeats: count,
  inTable: count,
  /** histories waiting in quarantine for their user */
  waitingForUser: count,
  /** what the source said it holds, and what its latest full read gave: a shortfall means records were never read */
  source: z.object({ total: count, fetched: count }).nullable(),
  shortfall: count,
  /** valid records whose key the read did not record (must be 0; default for reconciliations stored before it was counted) */
  unrecorded: z.number().int().default(0),
  /** keys neither in the table nor in quarantine (the first 20): must be none */
  missing: z.array(z.string()),
  holds: z.boolean(),
  /** rows this full read no longer held (null for a replay, or when the read did not add up) */
  vanished: vanishedCount.nullable(),
});
export type DatasetReconciliation = z.infer<typeof datasetReconciliation>;

export const reconcileOutput = taskOutput("reconcile", z.object({ reconciliation: z.partialRecord(z.enum(DATASETS), datasetReconciliation) }));

/** What a dataset task measured as it loaded, for the checks. */
const loadMeasures = z.object({
  /** fields the source sent that the contract does not know, with how often */
  unknownFields: z.record(z.string(), count),
  /** records older than the stored version of their key (kept the stored one) */
  updatedAtBackwards: count,
  /** listen_history only: items in this run's histories, those naming an unknown track, histories waiting for their user */
  items: count.optional(),
  orphanItems: count.optional(),
  waitingForUser: count.optional(),
});

export const datasetOutputs = Object.fromEntries(DATASETS.map((dataset) => [dataset, taskOutput(dataset, loadMeasures)])) as Record<
  Dataset,
  ReturnType<typeof taskOutput<typeof loadMeasures>>
>;

/** What a dataset task's read gave, for reconciliation; its keys are in `ingest_read_keys` under the same try. */
const readSummary = z.object({
  read: z.object({
    /** the try that read (and recorded the keys of) every record, resumed pages included */
    tryNumber: z.number().int().positive(),
    fetched: count,
    invalid: count,
    /** the source's `total` and what its latest full read gave (null for a replay from the lake) */
    source: z.object({ total: count, fetched: count }).nullable(),
  }),
});

export const datasetReads = Object.fromEntries(DATASETS.map((dataset) => [dataset, taskOutput(dataset, readSummary)])) as Record<
  Dataset,
  ReturnType<typeof taskOutput<typeof readSummary>>
>;

/** What the lake-retention task deleted: raw pages landed before `cutoffDay`, except those of the runs it had to keep. */
export const lakeRetentionOutput = taskOutput(
  "lake-retention",
  z.object({
    cutoffDay: z.string(),
    deletedFiles: count,
    prunedRuns: z.array(z.number().int()),
    /** runs whose pages stay whatever their age: the window's, their replays' sources, kept snapshots' ingestions */
    neededRuns: z.array(z.number().int()),
  }),
);
