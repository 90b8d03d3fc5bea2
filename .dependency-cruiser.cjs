/**
 * The direction of Encore's layers, checked in CI (`npm run lint:deps`): entry points compose the
 * domains; domains never import an entry point, the transport or the UI; the UI never reaches the database.
 */
module.exports = {
  forbidden: [
    {
      name: "server-not-to-entry-points",
      comment: "cron/ and app/ are entry points, like server/cli/: they compose server/, never the other way round.",
      severity: "error",
      from: { path: "^server/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(cron|app|components)/" },
    },
    {
      name: "entry-points-not-between-themselves",
      comment: "server/cli/ and cron/ start processes; nothing but themselves imports them.",
      severity: "error",
      from: { path: "^server/", pathNot: "^server/cli/" },
      to: { path: "^server/cli/" },
    },
    {
      name: "domains-not-to-transport",
      comment: "Domain code throws its own errors; tRPC and REST map them at the edge.",
      severity: "error",
      from: { path: "^server/", pathNot: "^server/(trpc|cli|testing|bench)/|\\.test\\.ts$" },
      to: { path: "^server/trpc/" },
    },
    {
      name: "domains-not-to-trpc",
      comment: "Domain code throws DomainError (server/domain/errors.ts); only server/trpc/ speaks tRPC.",
      severity: "error",
      from: { path: "^server/", pathNot: "^server/(trpc|testing|bench)/|\\.test\\.ts$" },
      to: { path: "^node_modules/@trpc/server/" },
    },
    {
      name: "components-not-to-database",
      comment: "React components never touch the database: they get data from pages and tRPC.",
      severity: "error",
      from: { path: "^components/" },
      to: { path: "^server/(db/client|db/migrations|db/embedded)" },
    },
    {
      name: "no-test-imports-in-code",
      severity: "error",
      from: { path: "^(server|app|components|cron)/", pathNot: "\\.test\\.ts$|^server/(testing|bench)/" },
      to: { path: "\\.test\\.ts$|^server/testing/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(\\.next|server/db/generated)" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
