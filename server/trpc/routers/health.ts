import { checkReadiness } from "../../db/readiness";
import { createTRPCRouter, publicProcedure } from "../init";

export const healthRouter = createTRPCRouter({
  ready: publicProcedure.query(({ ctx }) => checkReadiness(ctx.db)),
});
