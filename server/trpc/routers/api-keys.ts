import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "../../serving/api-keys";
import { SCOPES } from "../../serving/scopes";
import { adminProcedure, createTRPCRouter } from "../init";
import { recordId, text } from "../inputs";

export const newApiKeyInput = z.object({
  name: text(100).pipe(z.string().min(1, "give the key a name")),
  scopes: z.array(z.enum(SCOPES)).min(1, "pick at least one scope").max(SCOPES.length),
  ratePerSecond: z.number().int().min(1).max(100_000).optional(),
  burst: z.number().int().min(1).max(1_000_000).optional(),
});

export const apiKeysRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.db)),
  create: adminProcedure.input(newApiKeyInput).mutation(async ({ ctx, input }) => {
    const { key, record } = await createApiKey(ctx.db, input, { ...ctx.operator, ip: ctx.ip });
    return { key, id: record.id, prefix: record.prefix };
  }),
  revoke: adminProcedure.input(z.object({ id: recordId })).mutation(async ({ ctx, input }) => {
    if (!(await revokeApiKey(ctx.db, input.id, { ...ctx.operator, ip: ctx.ip })))
      throw new TRPCError({ code: "NOT_FOUND", message: `No live API key ${input.id}.` });
    return { id: input.id };
  }),
});
