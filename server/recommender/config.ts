import path from "node:path";
import type { Env } from "../config/env";
import type { ModelAlertPolicy } from "./online";
import { DEFAULT_TRAIN, type TrainConfig } from "./pipeline";

export function trainConfig(env: Env): TrainConfig {
  return {
    ...DEFAULT_TRAIN,
    lakeDir: path.resolve(/* turbopackIgnore: true */ env.DATA_LAKE_DIR ?? path.join(env.DATA_DIR, "lake")),
    seed: env.TRAIN_SEED,
    promotionMargin: env.PROMOTION_MARGIN,
    guardrailDrop: env.PROMOTION_GUARDRAIL_DROP,
    keepArtefacts: env.MODEL_ARTEFACTS_KEEP,
  };
}

export const modelAlertPolicy = (env: Env): ModelAlertPolicy => ({
  championMaxAgeDays: env.CHAMPION_MAX_AGE_DAYS,
  onlineDropShare: env.ONLINE_DROP_SHARE,
  newVersionDropShare: env.NEW_VERSION_DROP_SHARE,
});
