import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the serving API counts in memory: requests happen in the web process only, unlike runs. */
export interface ServingMetrics {
  registry: Registry;
  requests: Histogram<"route" | "method" | "status">;
  fallbacks: Counter<"route">;
  servedVersion: Gauge;
  keyLookups: Counter<"from">;
}

function create(): ServingMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Histogram({
      name: "encore_api_request_duration_seconds",
      help: "Serving API requests (REST and tRPC) by route, method and status: latency, and counts in _count.",
      labelNames: ["route", "method", "status"],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: "encore_serving_fallback_total",
      help: "Answers given from popularity because the model could not be read, by route.",
      labelNames: ["route"],
      registers: [registry],
    }),
    servedVersion: new Gauge({ name: "encore_serving_model_version", help: "The registry version this process serves (0: none).", registers: [registry] }),
    keyLookups: new Counter({
      name: "encore_api_key_lookups_total",
      help: "API keys checked, from memory (API_KEY_CACHE_SECONDS) or the database.",
      labelNames: ["from"],
      registers: [registry],
    }),
  };
}

// Next.js bundles its own copy of this module beside the one the HTTP server loads: one set for both.
const holder = globalThis as unknown as { encoreServingMetrics?: ServingMetrics };
export const servingMetrics = (): ServingMetrics => (holder.encoreServingMetrics ??= create());
