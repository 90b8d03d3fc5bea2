import { randomBytes } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Database, Db } from "../db/client";
import type { Role } from "../db/generated/enums";
import type { SessionUser } from "../auth/options";
import { hasRole } from "../auth/roles";
import { isDatabaseUnavailable } from "../db/unavailable";
import { asDomainError } from "../domain/errors";
import { containsNul } from "./inputs";
import { MAX_BATCH_SIZE } from "./limits";
import { bearerKey } from "../serving/api-keys";
import type { Scope } from "../serving/scopes";
import { admitApiKey } from "../serving/gate";
import { servingMetrics } from "../serving/request-metrics";

export interface Context {
  db: Db;
  /** the same connections, with the pg pool for set-based work */
  database: Database;
  operator: SessionUser | null;
  ip: string;
  /** the request's Authorization header: an API key lets clients other than the console call scoped procedures */
  authorization: string | null;
}

/** Who may call a procedure: a session with at least `access`, or (when set) an API key with `scope`. */
export interface Meta {
  access: "public" | Role;
  scope?: Scope;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    defaultMeta: { access: "public" },
    errorFormatter({ shape, error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        // What went wrong inside stays in the server log, found by the id the caller is given.
        const errorId = randomBytes(6).toString("hex");
        console.error(`[error ${errorId}] tRPC ${path ?? "?"} failed:`, error.cause ?? error);
        return {
          ...shape,
          message: `Something went wrong on the server (error id ${errorId}); it is in the server's log.`,
          data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, errorId, zodError: null },
        };
      }
      return {
        ...shape,
        // tRPC's own words for an oversized batch do not say the limit.
        message:
          error.code === "BAD_REQUEST" && error.message.startsWith("Batch call exceeds")
            ? `A batch may hold at most ${MAX_BATCH_SIZE} calls; send the rest in another request.`
            : shape.message,
        data: { ...shape.data, zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null },
      };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** What a caller is told when a procedure cannot reach the database: 503, try again (not a 500 with an error id). */
export const databaseUnavailable = (cause: unknown) =>
  new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The console cannot reach its database; try again shortly.", cause });

/**
 * NUL cannot be stored in PostgreSQL text: refused here, whichever field holds it, before any schema or
 * query. After the procedure: a domain error becomes the 4xx of its code, and a database that is
 * down or restarting the caller's 503, whichever procedure met it.
 */
const inputGuard = t.procedure.use(async ({ getRawInput, next }) => {
  if (containsNul(await getRawInput())) throw new TRPCError({ code: "BAD_REQUEST", message: "Input must not contain NUL characters." });
  const result = await next();
  if (result.ok || result.error.code !== "INTERNAL_SERVER_ERROR") return result;
  const domain = asDomainError(result.error.cause);
  if (domain) throw new TRPCError({ code: domain.code, message: domain.message, cause: domain });
  if (isDatabaseUnavailable(result.error.cause)) throw databaseUnavailable(result.error.cause);
  return result;
});

export const publicProcedure = inputGuard;

/** Signed in with at least `role`; `meta.access` records the rule so a test can check every procedure against it. */
const withRole = (role: Role) =>
  inputGuard.meta({ access: role }).use(({ ctx, next }) => {
    if (!ctx.operator) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
    if (!hasRole(ctx.operator.role, role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${role} role; you are ${ctx.operator.role}.` });
    }
    return next({ ctx: { ...ctx, operator: ctx.operator } });
  });

/** Latency and outcome of the serving operations, beside the REST routes' in /api/metrics. */
const measured = inputGuard.use(async ({ path, type, next }) => {
  const started = performance.now();
  const result = await next();
  const status = result.ok ? 200 : getHTTPStatusCodeFromError(result.error);
  servingMetrics().requests.observe({ route: `trpc.${path}`, method: type, status: String(status) }, (performance.now() - started) / 1000);
  return result;
});

const REFUSAL_CODES = { 401: "UNAUTHORIZED", 403: "FORBIDDEN", 429: "TOO_MANY_REQUESTS" } as const;

/** The cause of a 429, carrying how long to wait to the HTTP answer (retryAfterHeaders). */
class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limited for ${retryAfterSeconds} s`);
  }
}

/** `Retry-After` for a tRPC answer holding 429s or 503s (the longest wait of its calls), as the REST API sends it; for the HTTP adapter's responseMeta. */
export function retryAfterHeaders({ errors }: { errors: readonly TRPCError[] }): { headers?: Record<string, string> } {
  const waits = errors.map((e) =>
    e.code === "TOO_MANY_REQUESTS" && e.cause instanceof RateLimited ? e.cause.retryAfterSeconds : e.code === "SERVICE_UNAVAILABLE" ? 5 : 0,
  );
  const seconds = Math.max(0, ...waits);
  return seconds > 0 ? { headers: { "retry-after": String(seconds) } } : {};
}

/**
 * For the serving API's operations: the console's session with at least `role`, or an API key with
 * `scope` (rate-limited like the REST API). `apiKey` is the key's id, null for a session.
 */
export const scopedProcedure = (scope: Scope, role: Role) =>
  measured.meta({ access: role, scope }).use(async ({ ctx, next }) => {
    if (ctx.operator || !bearerKey(ctx.authorization)) {
      if (!ctx.operator) throw new TRPCError({ code: "UNAUTHORIZED", message: `Sign in, or send an API key with the ${scope} scope.` });
      if (!hasRole(ctx.operator.role, role)) throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${role} role; you are ${ctx.operator.role}.` });
      return next({ ctx: { ...ctx, apiKey: null } });
    }
    const admitted = await admitApiKey(ctx.database.pool, ctx.authorization, ctx.ip, scope);
    if ("refusal" in admitted) {
      const { status, message, retryAfterSeconds } = admitted.refusal;
      throw new TRPCError({ code: REFUSAL_CODES[status], message, cause: retryAfterSeconds ? new RateLimited(retryAfterSeconds) : undefined });
    }
    return next({ ctx: { ...ctx, apiKey: admitted.key.id } });
  });

export const signedInProcedure = withRole("viewer");
export const operatorProcedure = withRole("operator");
export const adminProcedure = withRole("admin");
