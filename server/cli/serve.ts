import http from "node:http";
import next from "next";
import { CLIENT_IP_HEADER, parseTrustProxy, resolveClientAddress, SERVED_BY_ENCORE } from "../auth/client-ip";
import { ConfigError, parseEnv } from "../env";
import { onStopRequest } from "./stop-signals";
import { API_CSP, securityHeaders } from "../http/security-headers";
import { database } from "../db/client";
import { isRestPath, serveRest } from "../serving/node-http";

/** Requests to the API larger than this are refused before any handler reads them. */
export const MAX_API_BODY_BYTES = 1024 * 1024;

/**
 * The console's HTTP server: Next.js behind a thin layer that decides who the client is (socket
 * peer, or X-Forwarded-For only through proxies TRUST_PROXY names), refuses oversized API bodies
 * and adds the headers that depend on the deployment. Started by `npm start` (server/cli/start.ts).
 */
async function main() {
  const env = parseEnv({ ...process.env, NODE_ENV: "production" });
  const trust = parseTrustProxy(env.TRUST_PROXY);
  process.env[SERVED_BY_ENCORE] = "1";
  const app = next({ dev: false, dir: process.cwd(), hostname: env.HOSTNAME ?? "localhost", port: env.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();
  const headers = securityHeaders(env.NEXTAUTH_URL);

  const server = http.createServer((req, res) => {
    // Whatever a client sent under this name is replaced: only this server says who the client is.
    req.headers[CLIENT_IP_HEADER] = resolveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trust);
    for (const [name, value] of headers) res.setHeader(name, value);
    const api = req.url?.startsWith("/api/") ?? false;
    if (api) res.setHeader("Content-Security-Policy", API_CSP);
    if (api && Number(req.headers["content-length"] ?? 0) > MAX_API_BODY_BYTES) {
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: { code: "PAYLOAD_TOO_LARGE", message: `Request bodies are limited to ${MAX_API_BODY_BYTES} bytes.` } }));
      return;
    }
    if (isRestPath(req.url ?? "")) {
      void serveRest(req, res, database);
      return;
    }
    void handle(req, res);
  });
  server.listen(env.PORT, env.HOSTNAME);

  // start.ts killed outright: this server does not outlive it either.
  onStopRequest(() => {
    // In-flight requests get a few seconds; start.ts waits longer before it kills this process.
    setTimeout(() => process.exit(0), 5000).unref();
    server.close(() => void app.close().finally(() => process.exit(0)));
    server.closeIdleConnections();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[encore] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
