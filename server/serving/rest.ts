import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Database } from "../db/client";
import type { Scope } from "./scopes";
import { docsAsset, DOCS_CSP } from "./docs";
import { recordEvents } from "./events";
import { admitApiKey } from "./gate";
import { isDatabaseUnavailable } from "../db/unavailable";
import { servingMetrics } from "./metrics";
import { openApiDocument } from "./openapi";
import { ERROR_CODES, eventsBatchSchema, experimentKeyParam, recommendationsQuery, similarQuery, trackIdParam, userIdParam } from "./schemas";
import { experimentResults } from "../experiments/queries";
import { recommendationsFor, similarTo } from "./service";

/** An HTTP request as the REST API sees it, whichever server received it. */
export interface RestRequest {
  method: string;
  /** path and query, as sent */
  url: string;
  authorization?: string;
  contentType?: string;
  /** the client's address, as the HTTP server decided it */
  ip: string;
  /** the body, or null once it passes `maxBytes` */
  body(maxBytes: number): Promise<Buffer | null>;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The client closed the connection before its request was read whole (code, not class: rest.ts may be loaded twice). */
export class ClientGoneError extends Error {
  readonly code = "CLIENT_GONE";
  constructor() {
    super("The client closed the connection before sending the whole request.");
  }
}

const MAX_EVENTS_BODY_BYTES = 1024 * 1024;
const PREFIX = "/api/v1";

type ErrorCode = (typeof ERROR_CODES)[number];

class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly fields?: Record<string, string[]>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): RestResponse => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  body: JSON.stringify(value),
});

/** Each issue's field as a dotted path (`events.3.at`) and what is wrong with it. */
function fieldsOf(error: z.ZodError): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) (fields[issue.path.join(".") || "body"] ??= []).push(issue.message);
  return fields;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, status: 400 | 422, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RestError(status, status === 400 ? "BAD_REQUEST" : "UNPROCESSABLE", `Invalid ${what}; see fields.`, fieldsOf(result.error));
  return result.data;
}

async function jsonBody(request: RestRequest): Promise<unknown> {
  if (!/^application\/json\s*(;|$)/i.test(request.contentType ?? "")) throw new RestError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
  const body = await request.body(MAX_EVENTS_BODY_BYTES);
  if (body === null) throw new RestError(413, "PAYLOAD_TOO_LARGE", `Request bodies are limited to ${MAX_EVENTS_BODY_BYTES} bytes.`);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new RestError(400, "BAD_REQUEST", "The body is not valid JSON.");
  }
}

/** A path segment decoded; as sent when its percent-encoding is malformed (`%ZZ`), for the schema to refuse with 400. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface Call {
  request: RestRequest;
  params: string[];
  query: Record<string, string>;
  database: Database;
  keyId: number;
}

interface Route {
  name: string;
  method: "GET" | "POST";
  pattern: RegExp;
  /** none: public */
  scope?: Scope;
  handle(call: Call): Promise<RestResponse>;
}

const ROUTES: Route[] = [
  {
    name: "recommendations",
    method: "GET",
    pattern: /^\/users\/([^/]+)\/recommendations$/,
    scope: "recommendations:read",
    async handle({ params, query, database }) {
      const { userId } = parse(z.object({ userId: userIdParam }), { userId: params[0] }, 400, "user id");
      const { k, genre } = parse(recommendationsQuery, query, 400, "query");
      return json(200, await recommendationsFor(database, { userId, k, genre }, "recommendations"));
    },
  },
  {
    name: "similar",
    method: "GET",
    pattern: /^\/tracks\/([^/]+)\/similar$/,
    scope: "recommendations:read",
    async handle({ params, query, database }) {
      const { trackId } = parse(z.object({ trackId: trackIdParam }), { trackId: params[0] }, 400, "track id");
      const { k } = parse(similarQuery, query, 400, "query");
      const answer = await similarTo(database, trackId, k, "similar");
      if (!answer) throw new RestError(404, "NOT_FOUND", `No track ${trackId} in the catalogue.`);
      return json(200, answer);
    },
  },
  {
    name: "events",
    method: "POST",
    pattern: /^\/events$/,
    scope: "events:write",
    async handle({ request, database, keyId }) {
      const { events } = parse(eventsBatchSchema, await jsonBody(request), 422, "events");
      const outcome = await recordEvents(database.pool, events, keyId);
      if ("refused" in outcome) throw new RestError(422, "UNPROCESSABLE", outcome.refused.message, outcome.refused.fields);
      return json(202, outcome);
    },
  },
  {
    name: "experiment-results",
    method: "GET",
    pattern: /^\/experiments\/([^/]+)\/results$/,
    scope: "experiments:read",
    async handle({ params, database }) {
      const { key } = parse(z.object({ key: experimentKeyParam }), { key: decodedSegment(params[0]!) }, 400, "experiment key");
      const results = await experimentResults(database, key);
      if (!results) throw new RestError(404, "NOT_FOUND", `No experiment "${key}".`);
      return json(200, results);
    },
  },
  {
    name: "openapi",
    method: "GET",
    pattern: /^\/openapi\.json$/,
    async handle() {
      return json(200, openApiDocument(PREFIX), { "cache-control": "public, max-age=300" });
    },
  },
  {
    name: "docs",
    method: "GET",
    pattern: /^\/docs(?:\/([a-z.-]+))?$/,
    async handle({ params }) {
      const asset = await docsAsset(params[0] ?? "");
      if (!asset) throw new RestError(404, "NOT_FOUND", "No such file.");
      return { status: 200, headers: { "content-type": asset.type, "cache-control": "public, max-age=300", "content-security-policy": DOCS_CSP }, body: asset.body };
    },
  },
];

/** `seen.route`: the route's name once matched, for the metrics. */
async function route(request: RestRequest, database: Database, seen: { route: string }): Promise<RestResponse> {
  const url = new URL(request.url, "http://encore.invalid");
  const path = url.pathname.slice(PREFIX.length);
  const matching = ROUTES.map((r) => ({ r, match: r.pattern.exec(path) })).filter((m) => m.match);
  if (matching.length === 0) throw new RestError(404, "NOT_FOUND", `No endpoint ${request.method} ${url.pathname}; see ${PREFIX}/openapi.json.`);
  const found = matching.find((m) => m.r.method === request.method || (m.r.method === "GET" && request.method === "HEAD"));
  if (!found) {
    const allow = [...new Set(matching.map((m) => m.r.method))].join(", ");
    throw new RestError(405, "METHOD_NOT_ALLOWED", `${url.pathname} takes ${allow}.`, undefined, { allow });
  }
  const { r, match } = found;
  seen.route = r.name;
  let keyId = 0;
  if (r.scope) {
    const admitted = await admitApiKey(database.pool, request.authorization, request.ip, r.scope);
    if ("refusal" in admitted) {
      const { status, code, message, retryAfterSeconds } = admitted.refusal;
      const headers: Record<string, string> = retryAfterSeconds ? { "retry-after": String(retryAfterSeconds) } : status === 401 ? { "www-authenticate": 'Bearer realm="encore"' } : {};
      throw new RestError(status, code, message, undefined, headers);
    }
    keyId = admitted.key.id;
  }
  const query = Object.fromEntries(url.searchParams);
  return r.handle({ request, params: match!.slice(1).filter((p) => p !== undefined), query, database, keyId });
}

/** Answers one request under /api/v1; every outcome is JSON with a status the client can act on, and is measured. */
export async function handleRest(request: RestRequest, database: Database): Promise<RestResponse> {
  const started = performance.now();
  const seen = { route: "unmatched" };
  let response: RestResponse;
  try {
    response = await route(request, database, seen);
  } catch (error) {
    if (error instanceof RestError) {
      response = json(error.status, { error: { code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) } }, error.headers);
    } else if ((error as { code?: unknown } | null)?.code === "CLIENT_GONE") {
      // nginx's 499: measured as the client's, never as an outage, and not sent (nobody is there).
      response = json(499, { error: { code: "BAD_REQUEST", message: (error as Error).message } });
    } else if (isDatabaseUnavailable(error)) {
      console.error(`[encore] ${request.method} ${request.url.split("?")[0]}: the database cannot be reached: ${(error as Error).message}`);
      response = json(503, { error: { code: "UNAVAILABLE", message: "The service cannot reach its database; try again shortly." } }, { "retry-after": "5" });
    } else {
      const errorId = randomBytes(6).toString("hex");
      console.error(`[error ${errorId}] ${request.method} ${request.url.split("?")[0]} failed:`, error);
      response = json(500, { error: { code: "INTERNAL", message: `Something went wrong on the server (error id ${errorId}); it is in the server's log.` } });
    }
  }
  servingMetrics().requests.observe({ route: seen.route, method: request.method, status: String(response.status) }, (performance.now() - started) / 1000);
  return response;
}
