import { defineConfig } from "prisma/config";

// The CLI only needs a URL for `migrate deploy` where the schema engine exists; `generate` needs none.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/encore" },
});
