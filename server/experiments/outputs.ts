import { z } from "zod";
import { taskOutput } from "../pipeline/outputs";

// What the analyze and demo pipelines' tasks leave on the ledger, declared once: the tasks write
// them, and the console (server/monitoring/run-outcome.ts) reads what a run concluded with the same schemas.

/** What following the new listening found (the analyze pipeline's first task). */
export const discoveriesOutput = taskOutput(
  "discoveries",
  z.object({ rows: z.number().int().nonnegative(), firstListens: z.number().int().nonnegative(), newestListen: z.iso.datetime().nullable() }),
);
/** What the feedback events' partitions became (`maintainFeedbackPartitions`). */
export const feedbackPartitionsOutput = taskOutput(
  "feedback-partitions",
  z.object({
    cutoff: z.iso.datetime(),
    heldBy: z.string().nullable(),
    created: z.array(z.string()),
    dropped: z.array(z.string()),
    deletedFromDefault: z.number().int().nonnegative(),
  }),
);
/** How many running experiments the analysis recomputed. */
export const analyzeOutput = taskOutput("analyze", z.object({ experiments: z.number().int().nonnegative() }));
/** The experiment a demo run started. */
export const demoExperimentOutput = taskOutput("experiment", z.object({ experiment: z.string() }));
