import { processReadiness } from "../../serving/readiness";
import { createTRPCRouter, publicProcedure } from "../init";

export const healthRouter = createTRPCRouter({
  ready: publicProcedure.query(({ ctx }) => processReadiness(ctx.database)),
});
