import { database } from "@/server/db/client";
import { processReadiness } from "@/server/serving/readiness";

export const dynamic = "force-dynamic";

// Readiness: the database answers, every migration is applied and the models are loaded. Needs no session.
export async function GET() {
  const readiness = await processReadiness(database);
  return Response.json(readiness, { status: readiness.ready ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
