import { z } from "zod";
import { env } from "../../config/env";
import { browseHistories, browseTracks, browseUsers, browseVanished } from "../../data/browse";
import { retentionReport } from "../../data/retention";
import { analyzeConfig } from "../../experiments/config";
import { ingestionConfig } from "../../ingestion/config";
import { trainConfig } from "../../recommender/config";
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
  /** The policy, what the retention tasks did last, and what the lake, the snapshots, the batch scores and the feedback months hold now. */
  retention: signedInProcedure.query(({ ctx }) => {
    const ingestion = ingestionConfig(env());
    return retentionReport(ctx.database, ingestion.store, {
      lakeKeepDays: ingestion.lakeKeepDays,
      snapshotKeepDays: trainConfig(env()).keepSnapshotDays,
      feedbackKeepDays: analyzeConfig(env()).feedbackKeepDays,
    });
  }),
});
