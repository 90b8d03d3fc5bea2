import "zod-openapi";
import { z } from "zod";
import { readJson } from "../db/json";

// The results document: the type the analysis fills, the REST answer and its OpenAPI description.

const interval = z.tuple([z.number(), z.number()]);

export const metricResultSchema = z
  .object({
    mean: z.number().meta({ description: "The variant's mean (ratio metrics: Σ numerator ÷ Σ denominator)." }),
    varianceReduction: z.number().optional().meta({ description: "CUPED: share of the variance the pre-exposure covariate removed (mean metrics)." }),
    uplift: z
      .object({
        absolute: z.number(),
        relative: z.number().meta({ description: "(variant − control) ÷ control" }),
        ci: interval.meta({ description: "Interval of the relative uplift (always valid when sequential testing is on)." }),
        absoluteCi: interval,
      })
      .optional()
      .meta({ description: "Against control; control has none." }),
    pValue: z.number().optional(),
    adjustedPValue: z.number().optional().meta({ description: "After the correction for metrics × variants (Holm or Benjamini–Hochberg)." }),
    chanceToBeatControl: z.number().optional().meta({ description: "Bayesian, flat prior, by the metric's direction." }),
    risk: z
      .object({ variant: z.number(), control: z.number() })
      .optional()
      .meta({ description: "Expected relative loss of choosing the variant, and of keeping control." }),
    significant: z.boolean().optional(),
  })
  .meta({ id: "MetricResult" });

export const resultsSchema = z
  .object({
    key: z.string(),
    status: z.string(),
    computedAt: z.string(),
    asOf: z.string().meta({ description: "Windows close here: the newest listening ingested." }),
    primaryMetric: z.string(),
    secondaryMetrics: z.array(z.string()),
    guardrailMetrics: z.array(z.string()),
    alpha: z.number(),
    sequential: z.boolean(),
    correction: z.string(),
    srm: z.object({
      chiSquare: z.number(),
      pValue: z.number(),
      flagged: z.boolean().meta({ description: "p < 0.001: exposures do not match the weights; do not trust the results." }),
    }),
    dataQuality: z.array(z.string()).meta({ description: "Days of the window whose ingestion failed, ended late or tripped an ERROR check." }),
    guardrailBreached: z.array(z.string()),
    variants: z.array(
      z.object({
        key: z.string(),
        modelVersion: z.number().int(),
        weight: z.number(),
        users: z.number().int(),
        metrics: z.record(z.string(), metricResultSchema),
      }),
    ),
  })
  .meta({ id: "ExperimentResults" });

/** A stored results document (`experiment_results.results`), read with the schema the analysis fills. */
export const readResults = (value: unknown) => readJson("experiment_results.results", resultsSchema, value);
