import http from "node:http";
import type { AddressInfo } from "node:net";

/** A local HTTP endpoint standing in for Slack: records each JSON body; answers with `status()`. */
export async function startWebhookReceiver(status: () => number = () => 200) {
  const received: unknown[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      const code = status();
      if (code === 200) received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(code).end(code === 200 ? "ok" : "unavailable");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
