import type { Model } from "./families/types";

/** A fit that produced NaN or infinite values (a diverging ALS, a singular system): as implicit's ModelFitError. */
export class ModelFitError extends Error {
  constructor(model: Model, array: string, index: number, value: number) {
    super(`${model.family} ${JSON.stringify(model.params)} fitted a non-finite value (${value} at ${array}[${index}]): the model is not kept`);
    this.name = "ModelFitError";
  }
}

/** The model, once every number it would store is finite; else ModelFitError, so no NaN reaches a score or the registry. */
export function checkedFit(model: Model): Model {
  for (const [name, values] of Object.entries(model.artefact().arrays)) {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value)) throw new ModelFitError(model, name, i, value);
    }
  }
  return model;
}
