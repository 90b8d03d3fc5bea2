import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../../audit/log";
import { INGEST_PIPELINE } from "../../ingestion/pipeline";
import { requireJobOfPipeline } from "../jobs";
import { listRuns, runDetail, runGrid } from "../../monitoring/runs";
import { requestCancel } from "../../pipeline/runner";
import { retryJob } from "../../jobs/trigger";
import { browseQuarantine } from "../../data/browse";
import { env } from "../../config/env";
import { createTRPCRouter, operatorProcedure, signedInProcedure } from "../init";
import { paging, runId, text } from "../inputs";
import { DATASETS } from "../../ingestion/records";

const pipeline = text(50).default(INGEST_PIPELINE);
/** The filters the list and the grid share. */
const runFilter = {
  status: z.enum(["queued", "running", "success", "failed", "skipped"]).optional(),
  trigger: z.enum(["cron", "console", "cli", "api"]).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
};

export const runsRouter = createTRPCRouter({
  list: signedInProcedure
    .input(
      z.object({
        pipeline,
        ...runFilter,
        ...paging,
      }),
    )
    .query(({ ctx, input }) => {
      const { page, pageSize, ...filter } = input;
      return listRuns(ctx.db, filter, page, pageSize);
    }),
  grid: signedInProcedure.input(z.object({ pipeline, ...runFilter, runs: z.number().int().min(1).max(100).default(25) })).query(({ ctx, input }) => {
    const { runs, ...filter } = input;
    return runGrid(ctx.db, filter, runs);
  }),
  get: signedInProcedure.input(z.object({ runId })).query(async ({ ctx, input }) => {
    const run = await runDetail(ctx.db, input.runId);
    if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `No run ${input.runId}.` });
    return run;
  }),
  quarantine: signedInProcedure
    .input(
      z.object({
        runId: runId.optional(),
        dataset: z.enum(DATASETS).optional(),
        reasonCode: z.enum(["invalid", "unknown_user"]).optional(),
        unresolvedOnly: z.boolean().default(false),
        ...paging,
      }),
    )
    .query(({ ctx, input }) => {
      const { page, pageSize, ...filter } = input;
      return browseQuarantine(ctx.db, filter, { page, pageSize });
    }),
  retry: operatorProcedure.input(z.object({ runId })).mutation(async ({ ctx, input }) => {
    const run = await ctx.db.pipelineRun.findUnique({ where: { id: input.runId }, select: { pipeline: true } });
    if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `No run ${input.runId}.` });
    await retryJob(requireJobOfPipeline(run.pipeline), { database: ctx.database, env: env() }, input.runId);
    await recordAudit(ctx.db, {
      action: "pipeline.retry",
      actorId: ctx.operator.id,
      actorEmail: ctx.operator.email,
      ip: ctx.ip,
      target: `${run.pipeline} run ${input.runId}`,
    });
    return { runId: input.runId };
  }),
  cancel: operatorProcedure.input(z.object({ runId })).mutation(async ({ ctx, input }) => {
    if (!(await requestCancel(ctx.database, input.runId, ctx.operator.email))) {
      if (!(await ctx.db.pipelineRun.findUnique({ where: { id: input.runId }, select: { id: true } })))
        throw new TRPCError({ code: "NOT_FOUND", message: `No run ${input.runId}.` });
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `Run ${input.runId} is not running (or a cancel was already asked).` });
    }
    await recordAudit(ctx.db, {
      action: "pipeline.cancel",
      actorId: ctx.operator.id,
      actorEmail: ctx.operator.email,
      ip: ctx.ip,
      target: `run ${input.runId}`,
    });
    return { runId: input.runId };
  }),
});
