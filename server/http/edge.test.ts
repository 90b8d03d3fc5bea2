import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseTrustProxy } from "../auth/client-ip";
import { createApiKey } from "../serving/api-keys";
import { servingMetrics } from "../serving/request-metrics";
import { listenRest } from "../serving/node-http";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { edgeHandler, MAX_API_BODY_BYTES, MAX_AUTH_BODY_BYTES } from "./edge";
import { securityHeaders } from "./security-headers";

let database: TestDatabase;
let server: http.Server;
let port: number;

/** What the stand-in for Next.js saw of the last request it read. */
let seen: { url: string; bytes: number; ended: boolean; failed: boolean } | null;

beforeAll(async () => {
  database = await createTestDatabase();
  // Next.js stands behind the edge in `npm start`; here a handler that reads the whole body as Next does.
  const next = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen = { url: req.url ?? "", bytes: 0, ended: false, failed: false };
    const current = seen;
    try {
      for await (const chunk of req) current.bytes += (chunk as Buffer).length;
      current.ended = true;
      res.end(`read ${current.bytes}`);
    } catch {
      current.failed = true;
    }
  };
  server = http.createServer(edgeHandler({ trust: parseTrustProxy(""), headers: securityHeaders(undefined), database, next }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await database.drop();
});

beforeEach(() => {
  seen = null;
});

/** Sends these bytes as they are and returns all the server answers until it closes (or 2 s of quiet). */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(2000, () => socket.end());
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
    socket.write(request);
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

/**
 * Streams `total` bytes of chunked body (64 KB chunks, honouring backpressure) and returns the answer;
 * stops sending once the server has answered or closed.
 */
function chunkedUpload(
  path: string,
  total: number,
  { contentType = "application/x-www-form-urlencoded", authorization = "" } = {},
): Promise<{ status: number; response: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    let sent = 0;
    let closed = false;
    const finish = () => {
      closed = true;
      const response = Buffer.concat(received).toString("utf8");
      resolve({ status: statusOf(response), response, sent });
    };
    socket.on("data", (chunk) => received.push(chunk));
    socket.on("error", () => {});
    socket.on("close", finish);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n${authorization && `Authorization: ${authorization}\r\n`}\r\n`,
    );
    const piece = Buffer.alloc(Math.min(total, 64 * 1024), "a");
    const frame = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]);
    const pump = () => {
      while (!closed && received.length === 0 && sent < total) {
        sent += piece.length;
        if (!socket.write(frame)) return void socket.once("drain", pump);
      }
      if (!closed && sent >= total) socket.end("0\r\n\r\n");
    };
    pump();
  });
}

describe("request bodies are bounded while they are read, on every route", () => {
  it("a chunked 5 MB sign-in form gets 413 and the handler never receives more than the limit, nor a complete body", async () => {
    const { status, response } = await chunkedUpload("/api/auth/callback/credentials", 5 * 1024 * 1024);
    expect(status, response).toBe(413);
    expect(response).toContain("PAYLOAD_TOO_LARGE");
    expect(seen?.bytes).toBeLessThanOrEqual(MAX_AUTH_BODY_BYTES);
    expect(seen?.ended).toBe(false);
    // Its read fails, as on a client's abort, instead of waiting for the rest forever.
    await vi.waitFor(() => expect(seen?.failed).toBe(true));
  });

  it("the same on a console page and on the API at its own limit", async () => {
    const page = await chunkedUpload("/runs", 5 * 1024 * 1024);
    expect(page.status, page.response).toBe(413);
    expect(seen?.ended).toBe(false);

    const api = await chunkedUpload("/api/trpc/runs.trigger", 5 * 1024 * 1024, { contentType: "application/json" });
    expect(api.status, api.response).toBe(413);
    expect(seen?.bytes).toBeLessThanOrEqual(MAX_API_BODY_BYTES);
    expect(seen?.ended).toBe(false);
  });

  it("an encoded path to the sign-in routes gets their limit", async () => {
    const { status, response } = await chunkedUpload("/api/%61uth/callback/credentials", 256 * 1024);
    expect(status, response).toBe(413);
  });

  it("a chunked body under the limit reaches the handler whole", async () => {
    const { status, response } = await chunkedUpload("/api/auth/callback/credentials", 32 * 1024);
    expect(status, response).toBe(200);
    expect(response).toContain(`read ${32 * 1024}`);
  });

  it("a Content-Length over the limit is refused before anything is read", async () => {
    const response = await raw(
      `POST /api/auth/callback/credentials HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${MAX_AUTH_BODY_BYTES + 1}\r\n\r\n`,
    );
    expect(statusOf(response), response).toBe(413);
    expect(seen).toBeNull();
  });

  it("a client still sending after the 413 is not reset for a while, so it can read the answer (lingering close)", async () => {
    // Half-open, as a client that has not finished its request is: the server's FIN does not end its sending.
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const errors: string[] = [];
    socket.on("error", (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    const answered = new Promise<Buffer>((resolve) => socket.once("data", resolve));
    socket.write("POST /runs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    const frame = `10000\r\n${"a".repeat(0x10000)}\r\n`;
    for (let i = 0; i < 4; i++) socket.write(frame);
    expect(statusOf((await answered).toString("utf8"))).toBe(413);
    // A client busy elsewhere goes on writing a little later; a reset now would have discarded the answer.
    for (let i = 0; i < 5; i++) {
      await sleep(40);
      socket.write(frame);
    }
    await sleep(50);
    expect(errors).toEqual([]);
    // The server has half-closed: the answer is complete, and the connection ends with the client's end.
    expect(socket.readableEnded).toBe(true);
    await new Promise<void>((resolve) => socket.end(() => resolve()));
  });

  it("REST events over 1 MB, chunked, get 413", async () => {
    const { key } = await createApiKey(database.db, { name: "edge test", scopes: ["events:write"] }, { email: "admin@test" });
    const { status, response } = await chunkedUpload("/api/v1/events", 5 * 1024 * 1024, { contentType: "application/json", authorization: `Bearer ${key}` });
    expect(status, response).toBe(413);
    await vi.waitFor(async () =>
      expect(await servingMetrics().registry.metrics()).toMatch(/encore_api_request_duration_seconds_count\{route="events",method="POST",status="413"\} 1/),
    );
  });
});

describe("malformed targets get 400 with a message, never reach a handler and never 500", () => {
  const get = (target: string, method = "GET") => raw(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);

  it("a path whose percent-encoding does not decode, on the API, cron, auth and console routes", async () => {
    for (const target of [
      "/api/v1/experiments/%ZZ/results",
      "/api/v1/experiments/%E0%A4%A/results",
      "/api/v1/experiments/ab%/results",
      "/api/cron/%ZZ",
      "/api/auth/%ZZ",
      "/experiments/%ZZ",
    ]) {
      const response = await get(target);
      expect(statusOf(response), `${target}: ${response}`).toBe(400);
      expect(response, target).toContain("percent-encoding");
      expect(seen, target).toBeNull();
    }
    // Encoded characters that do decode still pass, and a bad query is left to the route.
    expect(statusOf(await get("/experiments/a%2Fb?q=%ZZ"))).toBe(200);
  });

  it("OPTIONS * (asterisk-form) is refused, not parsed as a URL", async () => {
    const response = await get("*", "OPTIONS");
    expect(statusOf(response), response).toBe(400);
    expect(response).toContain("origin-form");
  });

  it("an absolute-form target is refused, on the API and the console alike, with no redirect to its host", async () => {
    for (const target of ["http://evil.example/api/v1/openapi.json", "http://evil.example/signin", "https://localhost/runs"]) {
      const response = await raw(`GET ${target} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
      expect(statusOf(response), `${target}: ${response}`).toBe(400);
      expect(response).not.toMatch(/^location:/im);
      expect(response).toContain("origin-form");
      expect(seen).toBeNull();
    }
  });

  it("two Host headers are refused", async () => {
    for (const hosts of ["Host: localhost\r\nHost: evil.example", "Host: localhost\r\nhost: localhost"]) {
      const response = await raw(`GET /api/v1/openapi.json HTTP/1.1\r\n${hosts}\r\nConnection: close\r\n\r\n`);
      expect(statusOf(response), response).toBe(400);
      expect(response).toContain("one Host header");
    }
    const page = await raw("GET /runs HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    expect(statusOf(page), page).toBe(400);
    expect(seen).toBeNull();
  });

  it("the REST API alone refuses a key that does not decode with 400", async () => {
    const rest = await listenRest(database);
    try {
      const { key } = await createApiKey(database.db, { name: "results", scopes: ["experiments:read"] }, { email: "admin@test" });
      const response = await fetch(`${rest.url}/api/v1/experiments/%E0%A4%A/results`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(400);
    } finally {
      await rest.close();
    }
  });
});

describe("a client that drops its body mid-upload", () => {
  it("is the client's doing: not logged or measured as a database outage, and nothing is written to its closed connection", async () => {
    const { key } = await createApiKey(database.db, { name: "dropper", scopes: ["events:write"] }, { email: "admin@test" });
    const errors = vi.spyOn(console, "error");
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      `POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"events":[`,
    );
    await sleep(200);
    socket.destroy();
    await sleep(300);
    const logged = errors.mock.calls.map((call) => call.map(String).join(" "));
    errors.mockRestore();
    expect(logged.filter((line) => /database|\[error/i.test(line))).toEqual([]);
    const metrics = await servingMetrics().registry.metrics();
    expect(metrics).not.toMatch(/route="events",method="POST",status="503"/);
    expect(metrics).toMatch(/encore_api_request_duration_seconds_count\{route="events",method="POST",status="499"\} 1/);
  });
});
