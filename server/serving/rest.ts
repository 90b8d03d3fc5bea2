import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Database } from "../db/client";
import type { Scope } from "./scopes";
import { docsAsset, DOCS_CSP } from "./docs";
import { recordEvents } from "./events";
import { admitApiKey } from "./gate";
import { isDatabaseUnavailable } from "../db/unavailable";
import { servingMetrics } from "./request-metrics";
import type { ZodOpenApiOperationObject } from "zod-openapi";
import { resultsSchema } from "../experiments/results-schema";
import { COMMON_FAILURES, failure, jsonContent, openApiDocument } from "./openapi";
import {
  type ERROR_CODES,
  eventsAcceptedSchema,
  eventsBatchSchema,
  experimentKeyParam,
  recommendationsQuery,
  recommendationsSchema,
  similarQuery,
  similarSchema,
  trackIdParam,
  userIdParam,
} from "./schemas";
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

interface Call<P, Q, B> {
  request: RestRequest;
  params: P;
  query: Q;
  body: B;
  database: Database;
  keyId: number;
}

/**
 * A REST operation, declared once: its path (an OpenAPI template whose `{name}` segments are the
 * path parameters) gives both its matcher and its OpenAPI path; its schemas validate the request
 * (400 for the path and query, 422 for the body) and describe it in the document.
 */
interface Operation<P extends z.ZodObject, Q extends z.ZodType, B extends z.ZodType> {
  name: string;
  method: "GET" | "POST";
  path: string;
  /** none: public */
  scope?: Scope;
  params?: P;
  /** what a bad path parameter is called in the error ("user id") */
  paramsLabel?: string;
  /** percent-decode the path parameters before they are validated (keys may hold any character) */
  decodeParams?: boolean;
  query?: Q;
  body?: B;
  /** the OpenAPI operation; none: not in the document (the document and its viewer) */
  doc?: Omit<ZodOpenApiOperationObject, "requestParams" | "requestBody">;
  handle(call: Call<z.output<P>, z.output<Q>, z.output<B>>): Promise<RestResponse>;
}

export interface DeclaredOperation {
  name: string;
  method: "GET" | "POST";
  path: string;
  pattern: RegExp;
  scope?: Scope;
  params?: z.ZodObject;
  query?: z.ZodType;
  body?: z.ZodType;
  doc?: Omit<ZodOpenApiOperationObject, "requestParams" | "requestBody">;
  run(call: Call<string[], Record<string, string>, RestRequest>): Promise<RestResponse>;
}

/** The matcher of an OpenAPI path template: each `{name}` is one path segment. */
const patternOf = (path: string) => new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[a-zA-Z]+\\?\}/g, "([^/]+)")}$`);

function operation<P extends z.ZodObject, Q extends z.ZodType, B extends z.ZodType>(op: Operation<P, Q, B>): DeclaredOperation {
  const names = [...op.path.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]!);
  return {
    ...op,
    pattern: patternOf(op.path),
    async run({ params: segments, query, body, ...rest }) {
      const raw = Object.fromEntries(names.map((name, i) => [name, op.decodeParams ? decodedSegment(segments[i]!) : segments[i]!]));
      // Assigned to the rest, not spread with more properties: see trackItem in recommend.ts.
      return op.handle(
        Object.assign(rest, {
          body: (op.body ? parse(op.body, await jsonBody(body), 422, op.name) : undefined) as z.output<B>,
          params: (op.params ? parse(op.params, raw, 400, op.paramsLabel ?? "path") : raw) as z.output<P>,
          query: (op.query ? parse(op.query, query, 400, "query") : query) as z.output<Q>,
        }),
      );
    },
  };
}

/** Every operation under /api/v1: routed here, documented in /api/v1/openapi.json from the same declarations. */
export const OPERATIONS: DeclaredOperation[] = [
  operation({
    name: "recommendations",
    method: "GET",
    path: "/users/{userId}/recommendations",
    scope: "recommendations:read",
    params: z.object({ userId: userIdParam }),
    paramsLabel: "user id",
    query: recommendationsQuery,
    doc: {
      operationId: "recommendationsForUser",
      summary: "A listener's recommendations (scope recommendations:read)",
      description:
        "From the champion (or popularity when it cannot be read: `fallback`). Never a track the listener heard or disliked, or one no longer in the catalogue. A listener Encore does not know yet gets popular tracks (`coldStart`).",
      responses: {
        "200": { description: "The top k.", content: jsonContent(recommendationsSchema) },
        "400": failure("A parameter is invalid; `fields` says which."),
        ...COMMON_FAILURES,
      },
    },
    async handle({ params: { userId }, query: { k, genre }, database }) {
      return json(200, await recommendationsFor(database, { userId, k, genre }, "recommendations"));
    },
  }),
  operation({
    name: "similar",
    method: "GET",
    path: "/tracks/{trackId}/similar",
    scope: "recommendations:read",
    params: z.object({ trackId: trackIdParam }),
    paramsLabel: "track id",
    query: similarQuery,
    doc: {
      operationId: "similarTracks",
      summary: "More like this (scope recommendations:read)",
      responses: {
        "200": { description: "The k most similar tracks.", content: jsonContent(similarSchema) },
        "400": failure("A parameter is invalid."),
        "404": failure("No such track in the catalogue."),
        ...COMMON_FAILURES,
      },
    },
    async handle({ params: { trackId }, query: { k }, database }) {
      const answer = await similarTo(database, trackId, k, "similar");
      if (!answer) throw new RestError(404, "NOT_FOUND", `No track ${trackId} in the catalogue.`);
      return json(200, answer);
    },
  }),
  operation({
    name: "experiment-results",
    method: "GET",
    path: "/experiments/{key}/results",
    scope: "experiments:read",
    params: z.object({ key: experimentKeyParam }),
    paramsLabel: "experiment key",
    decodeParams: true,
    doc: {
      operationId: "experimentResults",
      summary: "An experiment's latest results (scope experiments:read)",
      description: "The results document of the latest analysis (the analyze pipeline keeps one per day); computed now when none is stored yet.",
      responses: {
        "200": { description: "The results.", content: jsonContent(resultsSchema) },
        "400": failure("The key is not a valid experiment key."),
        "404": failure("No such experiment."),
        ...COMMON_FAILURES,
      },
    },
    async handle({ params: { key }, database }) {
      const results = await experimentResults(database, key);
      if (!results) throw new RestError(404, "NOT_FOUND", `No experiment "${key}".`);
      return json(200, results);
    },
  }),
  operation({
    name: "events",
    method: "POST",
    path: "/events",
    scope: "events:write",
    body: eventsBatchSchema,
    doc: {
      operationId: "recordEvents",
      summary: "Feedback events, up to 1,000 a request (scope events:write)",
      description:
        "Idempotent by event id, per API key (another key's ids are its own). Every track must be in the catalogue, else the batch is refused whole. A dislike removes the track from the listener's recommendations from then on.",
      responses: {
        "202": { description: "Stored.", content: jsonContent(eventsAcceptedSchema) },
        "400": failure("The body is not JSON."),
        "413": failure("The body is over 1 MB."),
        "415": failure("The body is not application/json."),
        "422": failure(
          "An event is invalid or names a track not in the catalogue; nothing was stored. `fields` names each one (e.g. `events.3.at`, `events.5.trackId`).",
        ),
        ...COMMON_FAILURES,
      },
    },
    async handle({ body: { events }, database, keyId }) {
      const outcome = await recordEvents(database.pool, events, keyId);
      if ("refused" in outcome) throw new RestError(422, "UNPROCESSABLE", outcome.refused.message, outcome.refused.fields);
      return json(202, outcome);
    },
  }),
  operation({
    name: "openapi",
    method: "GET",
    path: "/openapi.json",
    async handle() {
      return json(200, openApiDocument(PREFIX, OPERATIONS), { "cache-control": "public, max-age=300" });
    },
  }),
];

/** The API reference's viewer: /docs and its assets (not an operation of the document). */
const DOCS_PATTERN = /^\/docs(?:\/([a-z.-]+))?$/;
const docsOperation: DeclaredOperation = {
  name: "docs",
  method: "GET",
  path: "/docs",
  pattern: DOCS_PATTERN,
  async run({ params }) {
    const asset = await docsAsset(params[0] ?? "");
    if (!asset) throw new RestError(404, "NOT_FOUND", "No such file.");
    return {
      status: 200,
      headers: { "content-type": asset.type, "cache-control": "public, max-age=300", "content-security-policy": DOCS_CSP },
      body: asset.body,
    };
  },
};

const ROUTES = [...OPERATIONS, docsOperation];

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
      const headers: Record<string, string> = retryAfterSeconds
        ? { "retry-after": String(retryAfterSeconds) }
        : status === 401
          ? { "www-authenticate": 'Bearer realm="encore"' }
          : {};
      throw new RestError(status, code, message, undefined, headers);
    }
    keyId = admitted.key.id;
  }
  const query = Object.fromEntries(url.searchParams);
  return r.run({ request, params: match!.slice(1).filter((p) => p !== undefined), query, body: request, database, keyId });
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
