import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../../audit/log";
import { env } from "../../config/env";
import { triggerJob } from "../../jobs/trigger";
import { requireJob } from "../jobs";
import { championOnline, listVersions, previousChampion, promote, qualityOverTime, rollback, versionDetail, championSummary } from "../../recommender/queries";
import { compareVersions } from "../../recommender/compare";
import { createTRPCRouter, operatorProcedure, signedInProcedure } from "../init";
import { paging, recordId, text } from "../inputs";

const reason = text(500).pipe(z.string().min(3, "say why, in a few words"));

export const modelsRouter = createTRPCRouter({
  list: signedInProcedure.input(z.object({ ...paging }).default({ page: 1, pageSize: 25 })).query(({ ctx, input }) => listVersions(ctx.db, input)),
  quality: signedInProcedure.query(({ ctx }) => qualityOverTime(ctx.db)),
  champion: signedInProcedure.query(({ ctx }) => championSummary(ctx.db)),
  online: signedInProcedure.query(({ ctx }) => championOnline(ctx.db)),
  get: signedInProcedure.input(z.object({ versionId: recordId })).query(async ({ ctx, input }) => {
    const version = await versionDetail(ctx.db, input.versionId);
    if (!version) throw new TRPCError({ code: "NOT_FOUND", message: `No model version ${input.versionId}.` });
    return version;
  }),
  compare: signedInProcedure
    .input(z.object({ versionIds: z.array(recordId).min(2, "choose at least 2 versions").max(6, "compare at most 6 versions at once") }))
    .query(async ({ ctx, input }) => {
      const versions = await Promise.all(input.versionIds.map((id) => versionDetail(ctx.db, id)));
      const missing = input.versionIds.filter((_, k) => !versions[k]);
      if (missing.length) throw new TRPCError({ code: "NOT_FOUND", message: `No model version ${missing.join(", ")}.` });
      const found = versions.filter((v) => v !== null);
      return { versions: found, comparison: compareVersions(found) };
    }),
  // force: train even when the snapshot was already trained with the same code and seed.
  train: operatorProcedure.input(z.object({ force: z.boolean().default(false) }).default({ force: false })).mutation(async ({ ctx, input }) => {
    const outcome = await triggerJob(
      requireJob("train"),
      { database: ctx.database, env: env() },
      { trigger: "console", triggeredBy: ctx.operator.email, ...(input.force ? { params: { force: true } } : {}) },
    );
    if (outcome.kind === "busy") throw new TRPCError({ code: "CONFLICT", message: `${outcome.error.message} Wait for it to end.` });
    await recordAudit(ctx.db, {
      action: "pipeline.trigger",
      actorId: ctx.operator.id,
      actorEmail: ctx.operator.email,
      ip: ctx.ip,
      target: `train run ${outcome.run.id}`,
    });
    return { runId: outcome.run.id };
  }),
  promote: operatorProcedure.input(z.object({ versionId: recordId, reason })).mutation(async ({ ctx, input }) => {
    const version = await promote(ctx.db, input.versionId, { ...ctx.operator, ip: ctx.ip }, input.reason);
    return { versionId: version.id };
  }),
  rollback: operatorProcedure.input(z.object({ reason })).mutation(async ({ ctx, input }) => {
    const version = await rollback(ctx.db, { ...ctx.operator, ip: ctx.ip }, input.reason);
    return { versionId: version.id };
  }),
  previousChampion: signedInProcedure.query(({ ctx }) => previousChampion(ctx.db).catch(() => null)),
});
