import type { Database } from "../db/client";
import { checkReadiness, type Readiness } from "../db/readiness";
import { servingLoaded } from "./service";

/** How far this process is from answering listeners at once: `unknown` while the database cannot say. */
export type ServingReadiness = Readiness & { serving: "loaded" | "loading" | "unknown" };

/** Ready when the database answers, every migration is applied and the serving state (catalogue, models) is loaded. */
export async function processReadiness(database: Database): Promise<ServingReadiness> {
  const readiness = await checkReadiness(database.db);
  if (readiness.database !== "reachable") return { ...readiness, serving: "unknown" };
  const loaded = servingLoaded(database);
  return { ...readiness, ready: readiness.ready && loaded, serving: loaded ? "loaded" : "loading" };
}
