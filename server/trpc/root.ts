import { createCallerFactory, createTRPCRouter } from "./init";
import { accountsRouter } from "./routers/accounts";
import { auditRouter } from "./routers/audit";
import { healthRouter } from "./routers/health";
import { meRouter } from "./routers/me";

export const appRouter = createTRPCRouter({
  health: healthRouter,
  me: meRouter,
  accounts: accountsRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
