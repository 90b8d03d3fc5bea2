import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../../audit/log";
import { acknowledgeAlert } from "../../pipeline/alerts";
import { createTRPCRouter, operatorProcedure, signedInProcedure } from "../init";
import { paging, recordId } from "../inputs";

export const alertsRouter = createTRPCRouter({
  list: signedInProcedure.input(z.object({ state: z.enum(["open", "acknowledged", "resolved"]).optional(), ...paging })).query(async ({ ctx, input }) => {
    const where = { state: input.state };
    const [total, alerts] = await Promise.all([
      ctx.db.alert.count({ where }),
      ctx.db.alert.findMany({
        where,
        orderBy: { id: "desc" },
        skip: (input.page - 1) * input.pageSize,
        take: input.pageSize,
        include: { notifications: { orderBy: { id: "asc" } } },
      }),
    ]);
    return { total, alerts };
  }),
  acknowledge: operatorProcedure.input(z.object({ alertId: recordId })).mutation(async ({ ctx, input }) => {
    if (!(await acknowledgeAlert(ctx.database, input.alertId, ctx.operator.email))) {
      if (!(await ctx.db.alert.findUnique({ where: { id: input.alertId }, select: { id: true } })))
        throw new TRPCError({ code: "NOT_FOUND", message: `No alert ${input.alertId}.` });
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `Alert ${input.alertId} is not open.` });
    }
    await recordAudit(ctx.db, {
      action: "alert.acknowledge",
      actorId: ctx.operator.id,
      actorEmail: ctx.operator.email,
      ip: ctx.ip,
      target: `alert ${input.alertId}`,
    });
    return { alertId: input.alertId };
  }),
});
