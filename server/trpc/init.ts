import { randomBytes } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Database, Db } from "../db/client";
import type { Role } from "../db/generated/enums";
import type { SessionUser } from "../auth/options";
import { hasRole } from "../auth/roles";
import { containsNul } from "./inputs";
import { MAX_BATCH_SIZE } from "./limits";

export interface Context {
  db: Db;
  /** the same connections, with the pg pool for set-based work */
  database: Database;
  operator: SessionUser | null;
  ip: string;
}

/** Who may call a procedure. */
export interface Meta {
  access: "public" | Role;
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
        message: error.code === "BAD_REQUEST" && error.message.startsWith("Batch call exceeds") ? `A batch may hold at most ${MAX_BATCH_SIZE} calls; send the rest in another request.` : shape.message,
        data: { ...shape.data, zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null },
      };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** NUL cannot be stored in PostgreSQL text: refused here, whichever field holds it, before any schema or query. */
const inputGuard = t.procedure.use(async ({ getRawInput, next }) => {
  if (containsNul(await getRawInput())) throw new TRPCError({ code: "BAD_REQUEST", message: "Input must not contain NUL characters." });
  return next();
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

export const signedInProcedure = withRole("viewer");
export const operatorProcedure = withRole("operator");
export const adminProcedure = withRole("admin");
