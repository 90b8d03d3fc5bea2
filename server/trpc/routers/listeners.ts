import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { listenerProfile, searchListeners, trackDetail } from "../../listeners/queries";
import { forUserInput } from "../../serving/schemas";
import { recommendationsOfVersion } from "../../serving/service";
import { createTRPCRouter, signedInProcedure } from "../init";
import { recordId, text } from "../inputs";

export const listenersRouter = createTRPCRouter({
  search: signedInProcedure
    .input(z.object({ query: text(200), limit: z.number().int().min(1).max(100).default(25) }))
    .query(({ ctx, input }) => searchListeners(ctx.db, input.query, input.limit)),
  profile: signedInProcedure.input(z.object({ userId: recordId })).query(async ({ ctx, input }) => {
    const profile = await listenerProfile(ctx.database, input.userId);
    if (!profile) throw new TRPCError({ code: "NOT_FOUND", message: `No listener ${input.userId}.` });
    return profile;
  }),
  /** What another registry version would recommend now, beside the served answer. */
  fromVersion: signedInProcedure.input(forUserInput.extend({ versionId: recordId })).query(async ({ ctx, input }) => {
    return recommendationsOfVersion(ctx.database, input.versionId, input);
  }),
  track: signedInProcedure.input(z.object({ trackId: recordId })).query(async ({ ctx, input }) => {
    const track = await trackDetail(ctx.database, input.trackId);
    if (!track) throw new TRPCError({ code: "NOT_FOUND", message: `No track ${input.trackId}.` });
    return track;
  }),
});
