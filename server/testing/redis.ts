import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { freePort } from "../runtime/ports";

export interface TestRedis {
  url: string;
  port: number;
  /** Ends the server (SIGKILL: as a crash looks to its clients). */
  stop(): Promise<void>;
}

const NOT_INSTALLED =
  "redis-server was not found: the shared rate-limit tests need it. Install it (Debian: `apt-get install -y redis-server`; .ci/run does) or point REDIS_SERVER at the binary.";

/** A Redis of its own, in memory only, on `port` (a free one by default); resolves once it accepts connections. */
export async function startRedis(port?: number): Promise<TestRedis> {
  const listen = port ?? (await freePort());
  const child: ChildProcess = spawn(
    process.env.REDIS_SERVER ?? "redis-server",
    ["--port", String(listen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? new Error(NOT_INSTALLED) : error));
    child.once("exit", (code) => reject(new Error(`redis-server exited (code ${code}):\n${output}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  });
  await ready;
  return {
    url: `redis://127.0.0.1:${listen}`,
    port: listen,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
