import { createTRPCRouter, signedInProcedure } from "../init";

export const meRouter = createTRPCRouter({
  get: signedInProcedure.query(({ ctx }) => ctx.operator),
});
