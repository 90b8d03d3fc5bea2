import { z } from "zod";
import { browseHistories, browseTracks, browseUsers, browseVanished } from "../../data/browse";
import { DATASETS } from "../../ingestion/records";
import { createTRPCRouter, signedInProcedure } from "../init";
import { paging, recordId, text } from "../inputs";

const search = text(100).default("");

export const dataRouter = createTRPCRouter({
  tracks: signedInProcedure.input(z.object({ search, ...paging })).query(({ ctx, input }) => browseTracks(ctx.db, input.search, input)),
  users: signedInProcedure.input(z.object({ search, ...paging })).query(({ ctx, input }) => browseUsers(ctx.db, input.search, input)),
  histories: signedInProcedure
    .input(z.object({ userId: recordId.optional(), trackId: recordId.optional(), ...paging }))
    .query(({ ctx, input }) => browseHistories(ctx.db, input, input)),
  vanished: signedInProcedure
    .input(z.object({ dataset: z.enum(DATASETS).optional(), ...paging }))
    .query(({ ctx, input }) => browseVanished(ctx.db, input, input)),
});
