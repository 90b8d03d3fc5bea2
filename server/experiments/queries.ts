import { env } from "../config";
import type { Database } from "../db/client";
import { analyzeExperiment, type ResultsDocument } from "./analysis";
import { getExperiment } from "./experiments";

/** The latest stored results, or the results computed now when the experiment has none yet; null for an unknown key. */
export async function experimentResults(database: Database, key: string): Promise<ResultsDocument | null> {
  const experiment = await getExperiment(database.db, key);
  if (!experiment) return null;
  const latest = await database.db.experimentResult.findFirst({ where: { experimentId: experiment.id }, orderBy: { day: "desc" } });
  if (latest) return { ...(latest.results as unknown as ResultsDocument), status: experiment.status };
  return analyzeExperiment(database, experiment, { deadlineUtc: env().ALERT_DEADLINE_UTC });
}
