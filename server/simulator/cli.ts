import { parseArgs } from "node:util";
import { faultsSchema } from "./faults";
import { catalogueOptions } from "./options";
import { startSimulator } from "./server";

// `npm run simulator -- --port 8000 [--mode original|realistic] [--seed 42] [--tracks N --users N --histories N --items N] [--error-rate 0.1 ...]`
const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8000" },
    host: { type: "string", default: "127.0.0.1" },
    mode: { type: "string", default: "realistic" },
    seed: { type: "string", default: "42" },
    tracks: { type: "string" },
    users: { type: "string" },
    histories: { type: "string" },
    items: { type: "string" },
    "error-rate": { type: "string" },
    "latency-ms": { type: "string" },
    "rate-limit-rate": { type: "string" },
    "hang-rate": { type: "string" },
    "bad-json-rate": { type: "string" },
    "invalid-records": { type: "string" },
    "duplicate-records": { type: "string" },
    "total-change-after": { type: "string" },
  },
});

const number = (v: string | undefined) => (v === undefined ? undefined : Number(v));

async function main() {
  if (values.mode !== "original" && values.mode !== "realistic") throw new Error(`--mode must be original or realistic, not ${values.mode}`);
  const faults = faultsSchema.parse({
    errorRate: number(values["error-rate"]),
    latencyMs: number(values["latency-ms"]),
    rateLimitRate: number(values["rate-limit-rate"]),
    hangRate: number(values["hang-rate"]),
    badJsonRate: number(values["bad-json-rate"]),
    invalidRecords: number(values["invalid-records"]),
    duplicateRecords: number(values["duplicate-records"]),
    totalChangeAfterRequests: number(values["total-change-after"]) ?? null,
  });
  const sizes = Object.fromEntries(
    Object.entries({ tracks: values.tracks, users: values.users, histories: values.histories, itemsPerHistory: values.items })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Number(v)]),
  );
  const simulator = await startSimulator({
    ...catalogueOptions(values.mode, Number(values.seed), sizes),
    port: Number(values.port),
    host: values.host,
    faults,
  });
  const { counts } = simulator.stats();
  console.log(
    `MooVitamix simulator (${values.mode}, seed ${values.seed}) on ${simulator.url}: ${counts.tracks} tracks, ${counts.users} users, ${counts.listen_history} histories`,
  );
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
