import type { Evaluation } from "./evaluate";
import type { FamilyDefinition, Model, Params } from "./families/types";
import type { TrainSession } from "./session";

export interface FamilyTraining {
  params: Params;
  /** NDCG@10 of each candidate tried on the validation split */
  tuning: { params: Params; ndcg10: number }[];
  test: Evaluation;
  /** the chosen parameters fitted at each stage (the blend reuses them) */
  models: { validation: Model; test: Model; final: Model };
}

/** Steps of a family's training, for its progress bar: each candidate tried, then the test fit, its evaluation and the final fit. */
export const trainingSteps = (definition: FamilyDefinition) => definition.grid.length + 3;

/** Tunes a family on the validation split, reports it on the test split and refits it on everything. */
export async function trainFamily(session: TrainSession, definition: FamilyDefinition, users: { tune: number; evaluate: number }, onStep: (done: number, total: number) => void = () => undefined): Promise<FamilyTraining> {
  const total = trainingSteps(definition);
  let done = 0;
  const step = () => onStep(++done, total);
  const tuning: FamilyTraining["tuning"] = [];
  for (const params of definition.grid) {
    const model = await session.fit(definition, params, "validation");
    tuning.push({ params, ndcg10: (await session.evaluate(model, "validation", users.tune)).overall["ndcg@10"] });
    step();
  }
  const best = tuning.reduce((a, b) => (b.ndcg10 > a.ndcg10 ? b : a));
  const validation = await session.fit(definition, best.params, "validation");
  const testModel = await session.fit(definition, best.params, "test");
  step();
  const test = await session.evaluate(testModel, "test", users.evaluate);
  step();
  const final = await session.fit(definition, best.params, "final");
  step();
  return { params: best.params, tuning, test, models: { validation, test: testModel, final } };
}
