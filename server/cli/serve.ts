import http from "node:http";
import next from "next";
import { parseTrustProxy, SERVED_BY_ENCORE } from "../auth/client-ip";
import { ConfigError, parseEnv } from "../config/env";
import { drainOnStop, superviseWebProcesses } from "./web-processes";
import { securityHeaders } from "../http/security-headers";
import { edgeHandler } from "../http/edge";
import { database } from "../db/client";
import { engineFor } from "../serving/service";
import { cacheApiKeysAsConfigured } from "../serving/api-keys";

/**
 * The console's HTTP server: Next.js (and the REST API) behind Encore's edge (server/http/edge.ts),
 * which decides who the client is, refuses malformed requests and bounds bodies. Started by
 * `npm start` (server/cli/start.ts) and `npm run web`; with WEB_PROCESSES=N, N of them share the port.
 */
async function main() {
  const env = parseEnv({ ...process.env, NODE_ENV: "production" });
  // Next.js is a library here (next()), so each cluster process prepares its own app and listens as one would alone.
  if (superviseWebProcesses(env.WEB_PROCESSES, (line) => console.log(`[encore] ${line}`))) return;
  const trust = parseTrustProxy(env.TRUST_PROXY);
  process.env[SERVED_BY_ENCORE] = "1";
  const app = next({ dev: false, dir: process.cwd(), hostname: env.HOSTNAME ?? "localhost", port: env.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer(edgeHandler({ trust, headers: securityHeaders(env.NEXTAUTH_URL), database, next: (req, res) => handle(req, res) }));
  server.listen(env.PORT, env.HOSTNAME);
  // Loaded now rather than on the first listener's request; readiness says ready once it is.
  engineFor(database).warm();
  const stopCachingKeys = cacheApiKeysAsConfigured(database.pool);

  // start.ts killed outright: this server does not outlive it either. In-flight requests get a few seconds; start.ts waits longer.
  drainOnStop(server, () => Promise.all([app.close(), stopCachingKeys()]));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[encore] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
