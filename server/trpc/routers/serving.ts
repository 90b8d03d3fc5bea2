import { TRPCError } from "@trpc/server";
import { recordEvents } from "../../serving/events";
import { eventsBatchSchema, forUserInput, similarInput } from "../../serving/schemas";
import { recommendationsFor, similarTo } from "../../serving/service";
import { createTRPCRouter, scopedProcedure } from "../init";

// The serving API's operations for TypeScript clients (API key) and the console (session).

export const recommendationsRouter = createTRPCRouter({
  forUser: scopedProcedure("recommendations:read", "viewer")
    .input(forUserInput)
    // A console session sees the listener's variant named without taking part: only API keys expose.
    .query(({ ctx, input }) => recommendationsFor(ctx.database, input, "trpc.recommendations.forUser", { expose: ctx.apiKey !== null })),
  similar: scopedProcedure("recommendations:read", "viewer")
    .input(similarInput)
    .query(async ({ ctx, input }) => {
      const answer = await similarTo(ctx.database, input.trackId, input.k, "trpc.recommendations.similar");
      if (!answer) throw new TRPCError({ code: "NOT_FOUND", message: `No track ${input.trackId} in the catalogue.` });
      return answer;
    }),
});

export const eventsRouter = createTRPCRouter({
  record: scopedProcedure("events:write", "operator")
    .input(eventsBatchSchema)
    .mutation(async ({ ctx, input }) => {
      const outcome = await recordEvents(ctx.database.pool, input.events, ctx.apiKey);
      if ("refused" in outcome) throw new TRPCError({ code: "UNPROCESSABLE_CONTENT", message: outcome.refused.message });
      return outcome;
    }),
});
