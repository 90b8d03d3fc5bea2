import { env } from "../config/env";
import type { Database } from "../db/client";
import { analyzeExperiment, type ResultsDocument } from "./analysis";
import { getExperiment } from "./experiments";
import { readResults } from "./results-schema";

/** How long live results (of an experiment without stored ones) are reused. */
const LIVE_RESULTS_MS = 60_000;
const live = new WeakMap<Database, Map<number, { at: number; results: Promise<ResultsDocument> }>>();

/**
 * The latest stored results, or, when the experiment has none yet, results computed now: at most
 * once a minute per experiment and process, shared by concurrent callers, so API keys cannot make
 * the database run the analysis on every request. Null for an unknown key.
 */
export async function experimentResults(database: Database, key: string): Promise<ResultsDocument | null> {
  const experiment = await getExperiment(database.db, key);
  if (!experiment) return null;
  const latest = await database.db.experimentResult.findFirst({ where: { experimentId: experiment.id }, orderBy: { day: "desc" } });
  if (latest) return { ...readResults(latest.results), status: experiment.status };
  let ofDatabase = live.get(database);
  if (!ofDatabase) live.set(database, (ofDatabase = new Map()));
  const cached = ofDatabase.get(experiment.id);
  if (cached && Date.now() - cached.at < LIVE_RESULTS_MS) return cached.results;
  const results = analyzeExperiment(database, experiment, { deadlineUtc: env().ALERT_DEADLINE_UTC });
  ofDatabase.set(experiment.id, { at: Date.now(), results });
  // A failed computation is not reused.
  results.catch(() => ofDatabase.delete(experiment.id));
  return results;
}
