import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../db/embedded";
import { freePort } from "../net";

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL URL whose user may create databases; each test file makes its own. */
    adminDatabaseUrl: string;
  }
}

// TEST_DATABASE_URL runs the suite against an existing server (e.g. PostgreSQL 15); otherwise an embedded one.
export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide("adminDatabaseUrl", external);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "encore-test-pg-"));
  // The postgres system user (used when running as root) must be able to reach the data folder.
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({
    dir: path.join(dir, "data"),
    port: await freePort(),
    password: "encore-test",
    database: "postgres",
  });
  project.provide("adminDatabaseUrl", server.url);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
