import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CLIENT_IP_HEADER } from "../auth/client-ip";
import type { Database } from "../db/client";
import { BODY_OVER_LIMIT } from "../http/body";
import { cacheApiKeysAsConfigured } from "./api-keys";
import { ClientGoneError, handleRest } from "./rest";

export const isRestPath = (url: string) => url === "/api/v1" || url.startsWith("/api/v1/") || url.startsWith("/api/v1?");

/** The request's body, or null as soon as it passes `maxBytes`; rejects with CLIENT_GONE when the client goes before sending it all. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    // Node reports an upload cut short as ECONNRESET, which would read as the database's.
    const gone = () => reject(new ClientGoneError());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners("data");
        req.resume();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    // The edge (server/http/edge.ts) stopped the body at its limit: over the limit here too.
    req.on("error", (error: { code?: unknown }) => (error.code === BODY_OVER_LIMIT ? resolve(null) : gone()));
    req.on("close", () => {
      if (!req.complete) gone();
    });
  });
}

/**
 * The REST API straight from the HTTP server, not through Next.js: Next's request handling alone
 * costs about 0.75 ms of CPU per request (1,340 requests/s for an empty route on this machine).
 */
export async function serveRest(req: IncomingMessage, res: ServerResponse, database: Database): Promise<void> {
  const response = await handleRest(
    {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      ip: String(req.headers[CLIENT_IP_HEADER] ?? req.socket.remoteAddress ?? ""),
      body: (maxBytes) => readBody(req, maxBytes),
    },
    database,
  );
  // Nobody to answer: the client went, or the edge has already refused the request (413).
  if (res.headersSent || req.socket.destroyed) return;
  res.writeHead(response.status, response.headers);
  res.end(req.method === "HEAD" ? undefined : response.body);
}

export interface RestServer {
  url: string;
  close(): Promise<void>;
}

/** The REST API alone on a socket of its own (tests and the experiment demo), answered as `npm start` answers it. */
export async function listenRest(database: Database, port = 0): Promise<RestServer> {
  const server = http.createServer((req, res) => {
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "";
    void serveRest(req, res, database);
  });
  const stopCachingKeys = cacheApiKeysAsConfigured(database.pool);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await stopCachingKeys();
    },
  };
}
