import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": new URL(".", import.meta.url).pathname.replace(/\/$/, "") } },
  test: {
    include: ["server/**/*.test.ts", "components/**/*.test.ts"],
    globalSetup: ["server/testing/global-setup.ts"],
    pool: "forks",
    // Files wait on PostgreSQL and child processes more than they compute: two at once on two cores
    // took the suite from 821 s to 526 s (vitest's default there is one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    // Pipeline logs are noise when a test passes and evidence when it fails.
    silent: "passed-only",
    hookTimeout: 60_000,
  },
});
