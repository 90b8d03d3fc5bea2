import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Dataset } from "../ingestion/records";

/** What a page's envelope claims, given the truth; lets a test make a source that misreports. */
export type EnvelopeLie = (truth: { total: number; pages: number }) => { total: number; pages: number };

/** An answer in place of the page: an HTTP status (with a Retry-After, maybe), or a 200 whose body is not JSON. */
export type Fault = { status: number; retryAfter?: string } | { notJson: string };

/**
 * A MooVitamix-shaped source serving records given as raw JSON text, byte for byte, so tests can
 * send what a real server might (NUL escapes, half surrogate pairs, nulls, huge strings) and
 * envelopes that misreport `total` or `pages`.
 */
export interface ScriptedSource {
  url: string;
  set(dataset: Dataset, records: string[]): void;
  lie(dataset: Dataset, envelope: EnvelopeLie | undefined): void;
  /** Answers 401 with `body` to any request whose Authorization header is not `expected`. */
  requireAuthorization(expected: string, body: string): void;
  /** the Authorization header of every request, in order */
  authorizations: (string | undefined)[];
  /** every data request, in order */
  requests: { dataset: string; page: number }[];
  /** Answers each data request for which `fault` returns one with it instead of the page (undefined: no faults). */
  inject(fault: ((request: { dataset: string; page: number }) => Fault | undefined) | undefined): void;
  close(): Promise<void>;
}

export async function startScriptedSource(records: Partial<Record<Dataset, string[]>> = {}): Promise<ScriptedSource> {
  const data = new Map<string, string[]>(Object.entries(records));
  const lies = new Map<string, EnvelopeLie>();
  const authorizations: (string | undefined)[] = [];
  const requests: { dataset: string; page: number }[] = [];
  let auth: { expected: string; body: string } | undefined;
  let injected: ((request: { dataset: string; page: number }) => Fault | undefined) | undefined;
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (auth && req.headers.authorization !== auth.expected) return res.writeHead(401, { "content-type": "text/plain" }).end(auth.body);
    const url = new URL(req.url ?? "/", "http://source.test");
    const items = data.get(url.pathname.slice(1)) ?? [];
    const page = Number(url.searchParams.get("page") ?? 1);
    const request = { dataset: url.pathname.slice(1), page };
    requests.push(request);
    const fault = injected?.(request);
    if (fault && "notJson" in fault) return res.writeHead(200, { "content-type": "application/json" }).end(fault.notJson);
    if (fault)
      return res
        .writeHead(fault.status, { "content-type": "application/json", ...(fault.retryAfter ? { "retry-after": fault.retryAfter } : {}) })
        .end(`{"detail":"scripted fault"}`);
    const size = Number(url.searchParams.get("size") ?? 100);
    const truth = { total: items.length, pages: Math.ceil(items.length / size) };
    const { total, pages } = lies.get(url.pathname.slice(1))?.(truth) ?? truth;
    const body = `{"items":[${items.slice((page - 1) * size, page * size).join(",")}],"total":${total},"page":${page},"size":${size},"pages":${pages}}`;
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (dataset, list) => data.set(dataset, list),
    lie: (dataset, envelope) => (envelope ? lies.set(dataset, envelope) : lies.delete(dataset)),
    requireAuthorization: (expected, body) => (auth = { expected, body }),
    authorizations,
    requests,
    inject: (fault) => (injected = fault),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// An hour ago, so freshness checks pass; fixed for the process, so a record keeps its key across runs.
const BASE = Date.now() - 3_600_000;

/** A zone-less source timestamp `version` seconds after BASE (negative: before). */
export const stamp = (version = 0) => new Date(BASE + version * 1000).toISOString().slice(0, 19);

/** Valid records as JSON text; `version` sets their timestamps (a later version is newer). */
export const validTrack = (id: number, version = 0) =>
  JSON.stringify({
    id,
    name: `Track ${id}`,
    artist: "Artist",
    songwriters: "Writer",
    duration: "03:15",
    genres: "Rock",
    album: "Album",
    created_at: stamp(),
    updated_at: stamp(version),
  });
export const validUser = (id: number, version = 0) =>
  JSON.stringify({
    id,
    first_name: "Ada",
    last_name: "L",
    email: `u${id}@example.test`,
    gender: "F",
    favorite_genres: "Rock",
    created_at: stamp(),
    updated_at: stamp(version),
  });
export const validHistory = (userId: number, items: number[], version = 0) =>
  JSON.stringify({ user_id: userId, items, created_at: stamp(), updated_at: stamp(version) });
