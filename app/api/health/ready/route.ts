import { db } from "@/server/db/client";
import { checkReadiness } from "@/server/db/readiness";

export const dynamic = "force-dynamic";

// Readiness: the database answers and every migration is applied. Needs no session.
export async function GET() {
  const readiness = await checkReadiness(db);
  return Response.json(readiness, { status: readiness.ready ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
