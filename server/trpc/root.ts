import { createCallerFactory, createTRPCRouter } from "./init";
import { accountsRouter } from "./routers/accounts";
import { auditRouter } from "./routers/audit";
import { healthRouter } from "./routers/health";
import { ingestionRouter } from "./routers/ingestion";
import { meRouter } from "./routers/me";

export const appRouter = createTRPCRouter({
  health: healthRouter,
  me: meRouter,
  accounts: accountsRouter,
  audit: auditRouter,
  ingestion: ingestionRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
