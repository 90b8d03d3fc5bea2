import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { CLIENT_IP_HEADER, resolveClientAddress, type TrustProxy } from "../auth/client-ip";
import type { Database } from "../db/client";
import { isRestPath, serveRest } from "../serving/node-http";
import { BODY_OVER_LIMIT } from "./body";
import { API_CSP } from "./security-headers";

/** Request bodies per route: the API's JSON (REST events, tRPC), far less for sign-in forms and pages (no server actions). */
export const MAX_API_BODY_BYTES = 1024 * 1024;
export const MAX_AUTH_BODY_BYTES = 64 * 1024;
export const MAX_PAGE_BODY_BYTES = 64 * 1024;

export function bodyLimitFor(path: string): number {
  if (path === "/api/auth" || path.startsWith("/api/auth/")) return MAX_AUTH_BODY_BYTES;
  return path.startsWith("/api/") ? MAX_API_BODY_BYTES : MAX_PAGE_BODY_BYTES;
}

export interface EdgeOptions {
  trust: TrustProxy;
  /** headers on every answer (security-headers.ts) */
  headers: [string, string][];
  database: Database;
  /** everything but the REST API: Next.js's request handler */
  next(req: IncomingMessage, res: ServerResponse): Promise<unknown>;
}

/** How long a connection refused for its body keeps dropping what the client still sends. */
const LINGER_MS = 500;

/** A refusal of this layer, in the API's error shape, on a connection that ends with it. */
function refuse(res: ServerResponse, status: 400 | 413, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", connection: "close" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** Why this request cannot be routed at all, or null: only paths (origin-form) with one Host and percent-encoding that decodes. */
function malformed(req: IncomingMessage): string | null {
  const url = req.url ?? "";
  // Absolute-form (`GET http://other.host/…`) or `OPTIONS *` would let the target name a host, or reach URL parsing that throws.
  if (!url.startsWith("/")) return "The request target must be a path (origin-form), such as /api/v1/openapi.json.";
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === "host") hosts++;
  if (hosts > 1) return "Send exactly one Host header.";
  const path = url.split("?", 1)[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    return "The path's percent-encoding is malformed (every % must start a UTF-8 byte such as %2F).";
  }
  return null;
}

/**
 * Closed at once, a socket the client still writes to sends a reset, which can discard the 413
 * before the client reads it. Node closes a `Connection: close` answer's socket that way as soon as
 * the answer is written (`destroySoon`), so this socket half-closes instead and drops what still
 * comes for LINGER_MS (nginx's lingering_close).
 */
function lingerOnClose(socket: Socket, close: () => void): void {
  let lingering = false;
  socket.destroySoon = () => {
    if (lingering) return;
    lingering = true;
    socket.end();
    setTimeout(close, LINGER_MS).unref();
  };
}

const NO_BODY = { over: false } as const;

/**
 * Bounds the body while the HTTP parser delivers it, whoever reads it and however it is framed
 * (Content-Length or chunked): past `maxBytes` the rest is dropped unread, the consumer never sees
 * the body end, the client gets 413 (unless an answer has begun) and the connection is closed.
 */
function boundBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): { readonly over: boolean } {
  // Without either header a request has no body (RFC 9112 §6.3): nothing to bound. The hook below
  // is not left on such requests: kept on them, it held each answer long enough to be promoted to the
  // old generation (a sixth of what filled it at 500 requests/s, docs/benchmarks.md).
  if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) return NO_BODY;
  let size = 0;
  let over = false;
  const push = req.push.bind(req);
  // The parser hands each chunk, and the end (null), to push(); nothing is buffered beyond this point.
  req.push = (chunk: Buffer | null, encoding?: BufferEncoding) => {
    if (over) return true;
    if (chunk !== null) {
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        // The reader learns the body will not come, rather than waiting for it forever.
        const end = () => {
          req.socket.destroy();
          req.destroy(Object.assign(new Error(`The request body is over ${maxBytes} bytes.`), { code: BODY_OVER_LIMIT }));
        };
        if (res.headersSent) end();
        else {
          lingerOnClose(req.socket, end);
          refuse(res, 413, "PAYLOAD_TOO_LARGE", `Request bodies here are limited to ${maxBytes} bytes.`);
        }
        return true;
      }
    }
    return push(chunk, encoding);
  };
  return {
    get over() {
      return over;
    },
  };
}

/**
 * Encore's HTTP edge, in front of the REST API and Next.js: decides who the client is (socket peer,
 * or X-Forwarded-For only through proxies TRUST_PROXY names), refuses malformed targets and bodies
 * over the route's limit, and adds the headers that depend on the deployment.
 */
export function edgeHandler({ trust, headers, database, next }: EdgeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Whatever a client sent under this name is replaced: only this server says who the client is.
    req.headers[CLIENT_IP_HEADER] = resolveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trust);
    for (const [name, value] of headers) res.setHeader(name, value);
    const problem = malformed(req);
    if (problem) return refuse(res, 400, "BAD_REQUEST", problem);
    const path = req.url!.split("?", 1)[0]!;
    if (path.startsWith("/api/")) res.setHeader("Content-Security-Policy", API_CSP);
    // The stricter of the path as sent and as decoded: /api/%61uth/… may still reach the sign-in routes.
    const limit = Math.min(bodyLimitFor(path), bodyLimitFor(decodeURIComponent(path)));
    if (Number(req.headers["content-length"] ?? 0) > limit) return refuse(res, 413, "PAYLOAD_TOO_LARGE", `Request bodies here are limited to ${limit} bytes.`);
    const body = boundBody(req, res, limit);
    if (isRestPath(req.url!)) void serveRest(req, res, database);
    else
      next(req, res).catch((error: unknown) => {
        // A request refused for its body may fail inside Next.js as the body stops (headers already sent): not news.
        if (!body.over) console.error(`[encore] ${req.method} ${path} failed:`, error);
      });
  };
}
