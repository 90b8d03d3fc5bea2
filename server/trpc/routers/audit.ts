import { z } from "zod";
import { listAudit } from "../../audit/log";
import { adminProcedure, createTRPCRouter } from "../init";

export const auditRouter = createTRPCRouter({
  list: adminProcedure
    .input(
      z
        .object({ cursor: z.bigint().min(1n).max(9_223_372_036_854_775_807n).optional(), limit: z.number().int().min(1).max(200).default(50) })
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) => listAudit(ctx.db, input)),
});
