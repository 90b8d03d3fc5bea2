import type { Evaluation } from "./evaluate";
import type { FamilyDefinition, FitStage, Model, Params } from "./families/types";
import type { TrainSession } from "./session";

export interface FamilyTraining {
  params: Params;
  /** NDCG@10 of each candidate tried on the validation split */
  tuning: { params: Params; ndcg10: number }[];
  test: Evaluation;
  /** the chosen parameters fitted at each stage (the blend reuses them) */
  models: { validation: Model; test: Model; final: Model };
}

/** Progress steps of one fit: its iterations, or one for a family that does not iterate. */
const fitSteps = (definition: FamilyDefinition, params: Params, stage: FitStage, warm = false) => definition.iterations?.(params, stage, warm) ?? 1;

/** Steps after tuning: the test fit, its evaluation, and the final fit (warm from the test fit). */
const reportSteps = (definition: FamilyDefinition, params: Params) => fitSteps(definition, params, "test") + 1 + fitSteps(definition, params, "final", true);

/**
 * Steps of a family's training, for its progress bar: each candidate's fit and evaluation, then the
 * test fit, its evaluation and the final fit; fits count their iterations (ALS iteration i of n).
 * Counted for the first candidate's parameters until tuning chooses.
 */
export function trainingSteps(definition: FamilyDefinition, chosen: Params = definition.grid[0]!): number {
  return definition.grid.reduce((n, params) => n + fitSteps(definition, params, "validation") + 1, 0) + reportSteps(definition, chosen);
}

/** Tunes a family on the validation split, reports it on the test split and refits it on everything. */
export async function trainFamily(
  session: TrainSession,
  definition: FamilyDefinition,
  users: { tune: number; evaluate: number },
  onStep: (done: number, total: number) => void = () => undefined,
): Promise<FamilyTraining> {
  let total = trainingSteps(definition);
  let done = 0;
  // A fit's iterations advance the bar; each part ends on its own last step, so the bar never runs ahead of the work.
  async function part<T>(steps: number, work: (onIteration: () => void) => Promise<T>): Promise<T> {
    const end = done + steps;
    const value = await work(() => {
      if (done < end) onStep(++done, total);
    });
    done = end;
    onStep(done, total);
    return value;
  }
  const tuning: FamilyTraining["tuning"] = [];
  let best: FamilyTraining["tuning"][number] | undefined;
  for (const params of definition.grid) {
    const model = await part(fitSteps(definition, params, "validation"), (onIteration) => session.fit(definition, params, "validation", onIteration));
    const tried = { params, ndcg10: (await part(1, () => session.evaluate(model, "validation", users.tune))).overall["ndcg@10"] };
    tuning.push(tried);
    // Only the best candidate so far stays fitted (the first of equals): the others would hold their arrays until the run ends.
    const beaten = best && tried.ndcg10 <= best.ndcg10 ? tried : best;
    if (beaten) session.forget(definition, beaten.params, "validation");
    if (beaten !== tried) best = tried;
  }
  if (!best) throw new Error(`${definition.family} has no hyperparameters to try`);
  total = trainingSteps(definition, best.params);
  const validation = await session.fit(definition, best.params, "validation");
  const testModel = await part(fitSteps(definition, best.params, "test"), (onIteration) => session.fit(definition, best.params, "test", onIteration));
  const test = await part(1, () => session.evaluate(testModel, "test", users.evaluate));
  const final = await part(fitSteps(definition, best.params, "final", true), (onIteration) => session.fit(definition, best.params, "final", onIteration));
  return { params: best.params, tuning, test, models: { validation, test: testModel, final } };
}
