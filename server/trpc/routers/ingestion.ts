import { TRPCError } from "@trpc/server";
import { recordAudit } from "../../audit/log";
import { env } from "../../config/env";
import { ingestionStatus } from "../../ingestion/status";
import { triggerJob } from "../../jobs/trigger";
import { requireJob } from "../jobs";
import { createTRPCRouter, operatorProcedure, signedInProcedure } from "../init";

export const ingestionRouter = createTRPCRouter({
  status: signedInProcedure.query(({ ctx }) => ingestionStatus(ctx.db)),
  trigger: operatorProcedure.mutation(async ({ ctx }) => {
    const outcome = await triggerJob(requireJob("ingest"), { database: ctx.database, env: env() }, { trigger: "console", triggeredBy: ctx.operator.email });
    if (outcome.kind === "busy") {
      throw new TRPCError({ code: "CONFLICT", message: `${outcome.error.message} Wait for it to end.`, cause: outcome.error });
    }
    const { run } = outcome;
    await recordAudit(ctx.db, {
      action: "pipeline.trigger",
      actorId: ctx.operator.id,
      actorEmail: ctx.operator.email,
      ip: ctx.ip,
      target: `${run.pipeline} run ${run.id}`,
    });
    return { runId: run.id };
  }),
});
