import type { Family, Model, Params, TypedArrays } from "./families/types";

/** A fit that produced NaN or infinite values (a diverging ALS, a singular system): as implicit's ModelFitError. */
export class ModelFitError extends Error {
  constructor(family: Family, params: Params, array: string, index: number, value: number) {
    super(`${family} ${JSON.stringify(params)} fitted a non-finite value (${value} at ${array}[${index}]): the model is not kept`);
    this.name = "ModelFitError";
  }
}

/** Throws ModelFitError at the first NaN or infinite value of `arrays`. */
export function checkFinite(family: Family, params: Params, arrays: TypedArrays): void {
  for (const [name, values] of Object.entries(arrays)) {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value)) throw new ModelFitError(family, params, name, i, value);
    }
  }
}

/** The model, once every number it would store is finite; else ModelFitError, so no NaN reaches a score or the registry. */
export function checkedFit(model: Model): Model {
  checkFinite(model.family, model.params, model.artefact().arrays);
  return model;
}
