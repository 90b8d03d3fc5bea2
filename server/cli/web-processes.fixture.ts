import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { parseTrustProxy } from "../auth/client-ip";
import { createDatabase } from "../db/client";
import { edgeHandler } from "../http/edge";
import { drainOnStop, superviseWebProcesses } from "./web-processes";

// serve.ts without Next.js, for web-processes.test.ts: Encore's edge and REST API on PORT from
// WEB_PROCESSES processes. Where Next.js would answer, this answers with its pid after `?waitMs=`.
if (!superviseWebProcesses(Number(process.env.WEB_PROCESSES), (line) => console.log(line))) {
  // Without DATABASE_URL the test calls only routes that read no table: the pool never connects.
  const database = createDatabase(process.env.DATABASE_URL ?? "postgres://127.0.0.1:1/unused", 2);
  const next = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    await sleep(Number(new URL(req.url!, "http://x").searchParams.get("waitMs") ?? 0));
    res.end(String(process.pid));
  };
  const server = http.createServer(edgeHandler({ trust: parseTrustProxy(undefined), headers: [], database, next }));
  server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`listening ${process.pid}`));
  drainOnStop(server, () => database.close());
}
