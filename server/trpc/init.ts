import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Database, Db } from "../db/client";
import type { Role } from "../db/generated/enums";
import type { SessionUser } from "../auth/options";
import { hasRole } from "../auth/roles";

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
    errorFormatter({ shape, error }) {
      return {
        ...shape,
        data: { ...shape.data, zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null },
      };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure;

/** Signed in with at least `role`; `meta.access` records the rule so a test can check every procedure against it. */
const withRole = (role: Role) =>
  t.procedure.meta({ access: role }).use(({ ctx, next }) => {
    if (!ctx.operator) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
    if (!hasRole(ctx.operator.role, role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${role} role; you are ${ctx.operator.role}.` });
    }
    return next({ ctx: { ...ctx, operator: ctx.operator } });
  });

export const signedInProcedure = withRole("viewer");
export const operatorProcedure = withRole("operator");
export const adminProcedure = withRole("admin");
