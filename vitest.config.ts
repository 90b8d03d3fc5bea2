import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": new URL(".", import.meta.url).pathname.replace(/\/$/, "") } },
  test: {
    include: ["server/**/*.test.ts", "components/**/*.test.ts"],
    globalSetup: ["server/testing/global-setup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    // Pipeline logs are noise when a test passes and evidence when it fails.
    silent: "passed-only",
    hookTimeout: 60_000,
  },
});
