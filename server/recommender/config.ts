import type { Env } from "../config/env";
import { storeOf } from "../storage/open";
import type { ModelAlertPolicy } from "./online";
import { DEFAULT_TRAIN, type TrainConfig } from "./pipeline";

export function trainConfig(env: Env): TrainConfig {
  return {
    ...DEFAULT_TRAIN,
    store: storeOf(env),
    seed: env.TRAIN_SEED,
    promotionMargin: env.PROMOTION_MARGIN,
    guardrailDrop: env.PROMOTION_GUARDRAIL_DROP,
    keepArtefacts: env.MODEL_ARTEFACTS_KEEP,
    keepSnapshotDays: env.LAKE_KEEP_DAYS,
    listensPerUser: env.TRAIN_LISTENS_PER_USER,
    tuningListeners: env.TRAIN_TUNING_LISTENERS,
    scoreRecentDays: env.SCORE_RECENT_DAYS,
  };
}

export const modelAlertPolicy = (env: Env): ModelAlertPolicy => ({
  championMaxAgeDays: env.CHAMPION_MAX_AGE_DAYS,
  onlineDropShare: env.ONLINE_DROP_SHARE,
  newVersionDropShare: env.NEW_VERSION_DROP_SHARE,
});
