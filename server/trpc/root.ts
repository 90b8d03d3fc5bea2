import type { inferRouterOutputs } from "@trpc/server";
import { createCallerFactory, createTRPCRouter } from "./init";
import { accountsRouter } from "./routers/accounts";
import { auditRouter } from "./routers/audit";
import { healthRouter } from "./routers/health";
import { ingestionRouter } from "./routers/ingestion";
import { alertsRouter } from "./routers/alerts";
import { dataRouter } from "./routers/data";
import { overviewRouter } from "./routers/overview";
import { runsRouter } from "./routers/runs";
import { meRouter } from "./routers/me";
import { modelsRouter } from "./routers/models";
import { apiKeysRouter } from "./routers/api-keys";
import { experimentsRouter } from "./routers/experiments";
import { listenersRouter } from "./routers/listeners";
import { eventsRouter, recommendationsRouter } from "./routers/serving";

export const appRouter = createTRPCRouter({
  health: healthRouter,
  me: meRouter,
  accounts: accountsRouter,
  audit: auditRouter,
  ingestion: ingestionRouter,
  overview: overviewRouter,
  runs: runsRouter,
  alerts: alertsRouter,
  data: dataRouter,
  models: modelsRouter,
  apiKeys: apiKeysRouter,
  listeners: listenersRouter,
  recommendations: recommendationsRouter,
  events: eventsRouter,
  experiments: experimentsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);

export type RouterOutputs = inferRouterOutputs<AppRouter>;
