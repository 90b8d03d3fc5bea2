import { z } from "zod";

/**
 * What Encore and a trainer outside it exchange: a snapshot exported as Parquet with a manifest,
 * and factors handed back with theirs. docs/exchange.md is the reference a data scientist reads.
 */
export const EXPORT_SCHEMA = "encore.snapshot-export/1";
export const FACTORS_SCHEMA = "encore.factors/1";

export const EXPORT_FILES = { listens: "listens.parquet", tracks: "tracks.parquet", users: "users.parquet", manifest: "manifest.json" } as const;
/** The hand-back: factors fitted on every listen (served), and on the listens not held out (reported on the test split). */
export const FACTOR_FILES = {
  manifest: "manifest.json",
  items: "item_factors.parquet",
  users: "user_factors.parquet",
  testItems: "test/item_factors.parquet",
  testUsers: "test/user_factors.parquet",
} as const;

/** The default place of a snapshot's export in the store. */
export const exportPrefix = (snapshotId: number) => `exports/snapshot-${snapshotId}`;

/** Factors per row past which a hand-back is refused (Encore's own ALS uses 24). */
export const MAX_FACTORS = 1024;

const fileEntry = z.object({ path: z.string(), rows: z.number().int().nonnegative(), bytes: z.number().int().nonnegative(), sha256: z.string() });

export const exportManifestSchema = z.object({
  schema: z.literal(EXPORT_SCHEMA),
  snapshot: z.object({
    id: z.number().int().positive(),
    digest: z.string(),
    created_at: z.string(),
    newest_listen_at: z.string().nullable(),
    ingestion_run_id: z.number().int().nullable(),
  }),
  exported_at: z.string(),
  files: z.object({ listens: fileEntry, tracks: fileEntry, users: fileEntry }),
  split: z.object({
    seed: z.number().int(),
    rule: z.string(),
    holdout_share: z.number(),
    min_tracks_to_hold_out: z.number().int(),
    held_out_listens: z.number().int().nonnegative(),
    test_users: z.number().int().nonnegative(),
    evaluation: z.string(),
  }),
});
export type ExportManifest = z.infer<typeof exportManifestSchema>;

const finite = z.number().refine(Number.isFinite, "must be a finite number");

/** The manifest a trainer writes beside its factors. */
export const factorsManifestSchema = z.object({
  schema: z.literal(FACTORS_SCHEMA),
  /** the export it trained on: the snapshot's id and its digest, as the export's manifest gives them */
  snapshot: z.object({ id: z.number().int().positive(), digest: z.string().regex(/^[0-9a-f]{64}$/, "must be the snapshot's SHA-256 (64 hex digits)") }),
  /** the split seed of the export (its manifest's split.seed): the test split the test factors left out */
  seed: z.number().int(),
  family: z.literal("als"),
  params: z
    .object({
      factors: z.number().int().min(1).max(MAX_FACTORS),
      regularization: finite.refine((v) => v >= 0, "must be ≥ 0"),
      alpha: finite.refine((v) => v >= 0, "must be ≥ 0"),
      iterations: z.number().int().min(1),
    })
    .strict(),
  trainer: z.object({ name: z.string().min(1).max(200), version: z.string().max(200).optional() }),
  /** the trainer's own wall time, when it knows it */
  training_seconds: finite.refine((v) => v >= 0, "must be ≥ 0").optional(),
});
export type FactorsManifest = z.infer<typeof factorsManifestSchema>;
