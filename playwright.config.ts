import { chmodSync, existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
// A fresh embedded database per run, in a folder the postgres system user can enter when run as root.
if (!process.env.E2E_DATA_DIR) {
  process.env.E2E_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), "encore-e2e-"));
  chmodSync(process.env.E2E_DATA_DIR, 0o755);
}

export const E2E_ADMIN = { email: "admin@e2e.test", password: "e2e-admin-password-0123" };
/** Test-only value for this throwaway server; real deployments set their own. */
export const E2E_CRON_SECRET = "e2e-cron-secret-0123456789";
/** The built-in simulator, on a known port so tests can turn its fault knobs. */
export const E2E_SIMULATOR_URL = `http://127.0.0.1:${port + 2}`;

function chromiumExecutable(): string | undefined {
  if (process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE) return process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE;
  return existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined;
}

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 30_000,
  reporter: [["list"]],
  globalTeardown: "./e2e/global-teardown.ts",
  use: {
    baseURL: `http://localhost:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromiumExecutable(),
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: {
    // As an operator would deploy it: build, then start (which must not build again; lifecycle.spec reads the log).
    command: `npm run build && npm start > "${process.env.E2E_DATA_DIR}/start.log" 2>&1`,
    url: `http://localhost:${port}/api/health/ready`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "ignore",
    env: {
      PORT: String(port),
      DATA_DIR: process.env.E2E_DATA_DIR,
      EMBEDDED_PG_PORT: String(port + 1),
      ADMIN_EMAIL: E2E_ADMIN.email,
      ADMIN_PASSWORD: E2E_ADMIN.password,
      CRON_SECRET: E2E_CRON_SECRET,
      // Runs start only when a test triggers them, so tests do not race the first-start run.
      SCHEDULER: "off",
      SIMULATOR_PORT: String(port + 2),
      // Failing fast keeps the test that breaks the source short (task retries wait 30 s and more).
      INGEST_MAX_ATTEMPTS: "2",
      INGEST_TASK_RETRIES: "0",
    },
  },
});
