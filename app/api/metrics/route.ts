import { hasBearer } from "@/server/auth/bearer";
import { env } from "@/server/config/env";
import { database } from "@/server/db/client";
import { metricsRegistry, metricsResponse } from "@/server/monitoring/prometheus";
import { servingMetrics } from "@/server/serving/request-metrics";

export const dynamic = "force-dynamic";

const registry = metricsRegistry(database);

// Prometheus text format; behind `Authorization: Bearer $METRICS_TOKEN` when that is set.
export async function GET(request: Request) {
  const token = env().METRICS_TOKEN;
  if (token && !hasBearer(request.headers.get("authorization"), token)) {
    return Response.json({ error: "Missing or wrong bearer token: send Authorization: Bearer $METRICS_TOKEN." }, { status: 401 });
  }
  return metricsResponse([registry, servingMetrics().registry]);
}
