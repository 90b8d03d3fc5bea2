import { z } from "zod";
import { taskOutput, type TaskOutput } from "../pipeline/outputs";
import { evaluationSchema } from "./evaluate";
import { FAMILIES, type Family } from "./families/types";

// What the train pipeline's tasks hand each other, declared once: the tasks write and read them,
// and the console (server/monitoring/run-outcome.ts) reads what a run concluded from the same schemas.
const params = z.record(z.string(), z.number());
const familyName = z.enum(FAMILIES);

/** What each family task leaves on its task, for registration and the console. */
const familyOutcome = z.object({
  family: familyName,
  params,
  /** NDCG@10 of each candidate tried on the validation split */
  tuning: z.array(z.object({ params, ndcg10: z.number() })),
  test: evaluationSchema,
  training: z.object({ seconds: z.number(), cpuSeconds: z.number(), peakRssBytes: z.number(), curve: z.array(z.number()).optional() }),
  artefact: z.object({ path: z.string(), digest: z.string(), bytes: z.number() }),
  /** a blend's families, their parameters and weights */
  components: z.array(z.object({ family: familyName, params, weight: z.number() })).optional(),
});
export type FamilyOutcome = z.infer<typeof familyOutcome>;

/** A version's `training` column: how its family task trained it, with the seed that makes it reproducible. */
export const versionTrainingSchema = familyOutcome.shape.training.extend({
  seed: z.number().int().optional(),
  tuning: familyOutcome.shape.tuning,
  components: familyOutcome.shape.components,
  /** factors a trainer outside Encore fitted, handed back through `npm run model:import` (docs/exchange.md) */
  imported: z
    .object({
      from: z.string(),
      trainer: z.object({ name: z.string(), version: z.string().optional() }),
      manifestSha256: z.string(),
      /** catalogue tracks the trainer gave no factors (scored 0, as Encore's ALS leaves tracks nobody heard) */
      tracksWithoutFactors: z.number().int().nonnegative(),
    })
    .optional(),
});

export const FAMILY_OUTPUTS = Object.fromEntries(FAMILIES.map((family) => [family, taskOutput(family, z.object({ outcome: familyOutcome }))])) as Record<
  Family,
  TaskOutput<z.ZodObject<{ outcome: typeof familyOutcome }>>
>;
export const snapshotOutput = taskOutput("snapshot", z.object({ snapshotId: z.number().int().positive(), seed: z.number().int() }));
export const registerOutput = taskOutput("register", z.object({ versions: z.partialRecord(familyName, z.number().int().positive()) }));
/** What the promote task decided; the publish task carries it out once every other task succeeded. */
export const promoteOutput = taskOutput(
  "promote",
  z.object({
    best: z.number().int().positive(),
    promoted: z.boolean(),
    decision: z.string(),
    /** the champion the decision was measured against */
    championWas: z.number().int().positive().nullable(),
  }),
);
export const scoreOutput = taskOutput("score", z.object({ scoredVersion: z.number().int().positive(), users: z.number().int().nonnegative() }));
/** The alias the run's best candidate got; `championChanged`: it was to be champion, but someone changed the champion during the run. */
export const publishOutput = taskOutput("publish", z.object({ alias: z.enum(["champion", "challenger"]), championChanged: z.boolean().optional() }));
/** What the retention task deleted: batch scores of versions nothing serves or judges, snapshot files no kept version needs. */
export const retentionOutput = taskOutput(
  "retention",
  z.object({
    batchScores: z.object({ keptVersions: z.array(z.number().int()), prunedVersions: z.array(z.number().int()), rows: z.number().int().nonnegative() }),
    snapshots: z.object({ kept: z.number().int().nonnegative(), deleted: z.number().int().nonnegative() }),
  }),
);
