import { z } from "zod";
import { env } from "../../config/env";
import { INGEST_PIPELINE } from "../../ingestion/pipeline";
import { pipelineOverview } from "../../monitoring/overview";
import { createTRPCRouter, signedInProcedure } from "../init";
import { text } from "../inputs";

export const overviewRouter = createTRPCRouter({
  get: signedInProcedure
    .input(z.object({ pipeline: text(50).default(INGEST_PIPELINE) }).default({ pipeline: INGEST_PIPELINE }))
    .query(({ ctx, input }) =>
      pipelineOverview(ctx.database, input.pipeline, { freshnessWarnHours: env().FRESHNESS_WARN_HOURS, freshnessErrorHours: env().FRESHNESS_ERROR_HOURS }),
    ),
});
