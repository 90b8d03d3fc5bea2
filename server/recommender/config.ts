import path from "node:path";
import type { Env } from "../env";
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
