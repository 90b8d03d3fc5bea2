import { z } from "zod";
import type { Env } from "../config/env";
import { alertPolicy, evaluateAlerts } from "../pipeline/alerts";
import { taskOutput, writeOutput } from "../pipeline/outputs";
import type { TaskDefinition } from "../pipeline/types";
import { modelAlertPolicy } from "./config";
import { measureChampionOnline, modelConditions } from "./online";
import { TRAIN_PIPELINE } from "./pipeline";

export const CHAMPION_ONLINE_TASK = "champion-online";

export const championOnlineOutput = taskOutput(
  CHAMPION_ONLINE_TASK,
  z.object({ championOnline: z.object({ versionId: z.number().int(), users: z.number().int(), ndcg10: z.number() }).nullable() }),
);

/**
 * The served model judged on the listening an ingestion brought, then the model alerts that follow.
 * A task of that ingestion, so a failure is recorded, retried and alerted like any other.
 */
export function championOnlineTask(env: Env, needs: string[]): TaskDefinition {
  return {
    name: CHAMPION_ONLINE_TASK,
    needs,
    run: async (ctx) => {
      const online = await measureChampionOnline(ctx.database, ctx.run.id);
      const judged = online && { versionId: online.versionId, users: online.users, ndcg10: online.metrics["ndcg@10"] };
      ctx.log(
        judged
          ? `version ${judged.versionId} on new listening of ${judged.users} users: NDCG@10 ${judged.ndcg10.toFixed(4)}`
          : "nothing to judge: no champion with batch scores, or none of its listeners heard anything new since its snapshot",
      );
      writeOutput(ctx, championOnlineOutput, { championOnline: judged });
      await evaluateAlerts(ctx.database, TRAIN_PIPELINE, alertPolicy(env), new Date(), modelConditions(modelAlertPolicy(env)));
    },
  };
}
