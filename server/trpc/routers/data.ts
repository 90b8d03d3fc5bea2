import { z } from "zod";
import { browseHistories, browseTracks, browseUsers } from "../../data/browse";
import { createTRPCRouter, signedInProcedure } from "../init";
import { paging } from "../inputs";

const search = z.string().trim().max(100).default("");

export const dataRouter = createTRPCRouter({
  tracks: signedInProcedure.input(z.object({ search, ...paging })).query(({ ctx, input }) => browseTracks(ctx.db, input.search, input)),
  users: signedInProcedure.input(z.object({ search, ...paging })).query(({ ctx, input }) => browseUsers(ctx.db, input.search, input)),
  histories: signedInProcedure
    .input(z.object({ userId: z.number().int().positive().optional(), trackId: z.number().int().positive().optional(), ...paging }))
    .query(({ ctx, input }) => browseHistories(ctx.db, input, input)),
});
