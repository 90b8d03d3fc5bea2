import http from "node:http";
import type { AddressInfo } from "node:net";
import { CLIENT_IP_HEADER } from "../auth/client-ip";
import type { Database } from "../db/client";
import { serveRest } from "../serving/node-http";

export interface RestServer {
  url: string;
  close(): Promise<void>;
}

/** The REST API on a real socket, answered by the same function `npm start` mounts. */
export async function startRestServer(database: Database): Promise<RestServer> {
  const server = http.createServer((req, res) => {
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "";
    void serveRest(req, res, database);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
