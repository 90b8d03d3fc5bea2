import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { DATASETS, type Dataset } from "../ingestion/records";
import { Catalogue, type CatalogueOptions } from "./catalogue";
import { corrupt, faultsSchema, NO_FAULTS, type Faults } from "./faults";
import { Random } from "../lib/random";
import { recommendedPlays, type RecommenderClient } from "./listeners";

export interface Simulator {
  url: string;
  port: number;
  /** Read it for expectations; change it through `advance`, which the served pages follow. */
  catalogue: Catalogue;
  /** Days pass; with a recommender set, its listeners ask it for recommendations each day and play some. */
  advance(days: number): Promise<void>;
  /**
   * A round in real time (what the demo calls a day): the listeners ask for recommendations now, and
   * a day's worth of records is dated within the round, up to the real now, each play after the
   * answer it follows. The clock never passes the real now; a clock already ahead of it is refused.
   */
  playRound(): Promise<void>;
  /** The app's recommendations come from here from now on (null: none, listeners follow their taste only). */
  setRecommender(client: RecommenderClient | null): void;
  setFaults(faults: Partial<Faults>): void;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

export interface SimulatorStats {
  requests: number;
  faultsServed: Record<string, number>;
  counts: Record<Dataset, number>;
  now: string;
}

type Served = Record<string, unknown>;

/**
 * A dataset as served, each record already rendered as JSON: rendered when the data changes (start,
 * advance, faults), so serving a page only joins strings, as a real API's cache would.
 */
interface View {
  records: Served[];
  json: string[];
}

/** FastAPI's 422 answer for a query parameter out of bounds. */
function validationError(param: string, type: string, msg: string, input: string | null) {
  return { detail: [{ type, loc: ["query", param], msg, input }] };
}

function parsePaging(url: URL): { page: number; size: number } | { error: object } {
  const rawPage = url.searchParams.get("page");
  const rawSize = url.searchParams.get("size");
  const page = rawPage === null ? 1 : Number(rawPage);
  const size = rawSize === null ? 100 : Number(rawSize);
  if (!Number.isInteger(page))
    return { error: validationError("page", "int_parsing", "Input should be a valid integer, unable to parse string as an integer", rawPage) };
  if (page < 1) return { error: validationError("page", "greater_than_equal", "Input should be greater than or equal to 1", rawPage) };
  if (!Number.isInteger(size))
    return { error: validationError("size", "int_parsing", "Input should be a valid integer, unable to parse string as an integer", rawSize) };
  if (size < 1) return { error: validationError("size", "greater_than_equal", "Input should be greater than or equal to 1", rawSize) };
  if (size > 100) return { error: validationError("size", "less_than_equal", "Input should be less than or equal to 100", rawSize) };
  return { page, size };
}

/**
 * A MooVitamix-compatible HTTP server: `GET /tracks|/users|/listen_history?page&size`, plus
 * `/admin/advance`, `/admin/round`, `/admin/faults` and `/admin/stats` to drive it from tests and the console.
 */
export async function startSimulator(
  options: CatalogueOptions & { port?: number; host?: string; faults?: Partial<Faults>; recommender?: RecommenderClient },
): Promise<Simulator> {
  const catalogue = new Catalogue(options);
  let faults: Faults = { ...NO_FAULTS, ...options.faults };
  const chance = new Random(options.seed ^ 0x5eed);
  const faultsServed: Record<string, number> = {};
  let requests = 0;
  let views: Partial<Record<Dataset, View>> = {};

  const count = (fault: string) => (faultsServed[fault] = (faultsServed[fault] ?? 0) + 1);
  const invalidate = () => {
    views = {};
    for (const dataset of DATASETS) view(dataset);
  };

  /** The dataset as served: with the configured broken and repeated records. */
  function view(dataset: Dataset): View {
    const cached = views[dataset];
    if (cached) return cached;
    let served = catalogue.list(dataset) as readonly Served[];
    if (faults.withheldRecords > 0) served = served.slice(faults.withheldRecords);
    if (faults.invalidRecords > 0) {
      const every = Math.max(1, Math.floor(served.length / faults.invalidRecords));
      const broken = (i: number) => i % every === every - 1 && Math.floor(i / every) < faults.invalidRecords;
      served = served.map((r, i) => (broken(i) ? corrupt(r, Math.floor(i / every)) : r));
    }
    if (faults.duplicateRecords > 0) {
      // Each repeated record comes again 150 places later: on a later page for any page size up to 100.
      const every = Math.max(1, Math.floor(served.length / faults.duplicateRecords));
      const out: Served[] = [];
      const repeatAt = new Map<number, Served[]>();
      served.forEach((record, i) => {
        out.push(record, ...(repeatAt.get(i) ?? []));
        if (i % every === 0 && i / every < faults.duplicateRecords) repeatAt.set(i + 150, [...(repeatAt.get(i + 150) ?? []), record]);
      });
      for (const [at, records] of repeatAt) if (at >= served.length) out.push(...records);
      served = out;
    }
    return (views[dataset] = { records: [...served], json: served.map((record) => JSON.stringify(record)) });
  }

  async function serveData(dataset: Dataset, url: URL, res: http.ServerResponse) {
    requests++;
    if (faults.totalChangeAfterRequests !== null && requests === faults.totalChangeAfterRequests) {
      for (const d of DATASETS) catalogue.insertAtHead(d, faults.totalChangeBy);
      invalidate();
      count("totalChange");
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (chance.next() < faults.hangRate) {
      count("hang");
      await sleep(faults.hangMs);
    }
    if (chance.next() < faults.errorRate) {
      const status = chance.pick([500, 502, 503]);
      count(`http${status}`);
      return send(res, status, { detail: "simulated failure" });
    }
    if (chance.next() < faults.rateLimitRate) {
      count("http429");
      res.setHeader("Retry-After", String(faults.retryAfterSeconds));
      return send(res, 429, { detail: "Too Many Requests" });
    }
    const paging = parsePaging(url);
    if ("error" in paging) return send(res, 422, paging.error);
    if (chance.next() < faults.badJsonRate) {
      count("badJson");
      res.writeHead(200, { "content-type": "application/json" });
      return res.end("<html>upstream proxy error</html>");
    }
    const { records, json } = view(dataset);
    const { page, size } = paging;
    const items = json.slice((page - 1) * size, page * size);
    sendJson(res, 200, `{"items":[${items.join(",")}],"total":${records.length},"page":${page},"size":${size},"pages":${Math.ceil(records.length / size)}}`);
  }

  async function serveAdmin(path: string, req: http.IncomingMessage, res: http.ServerResponse) {
    if (path === "/admin/stats" && req.method === "GET") return send(res, 200, stats());
    const body = await readJson(req).catch(() => undefined);
    if (body === undefined) return send(res, 400, { detail: "body must be JSON" });
    if (path === "/admin/advance" && req.method === "POST") {
      const parsed = z.object({ days: z.number().int().min(1).max(365).default(1) }).safeParse(body ?? {});
      if (!parsed.success) return send(res, 422, { detail: z.flattenError(parsed.error) });
      await advance(parsed.data.days);
      return send(res, 200, stats());
    }
    if (path === "/admin/round" && req.method === "POST") {
      const played = await playRound().then(
        () => null,
        (error: unknown) => (error instanceof ClockAheadError ? error : Promise.reject(error)),
      );
      return played ? send(res, 409, { detail: played.message }) : send(res, 200, stats());
    }
    if (path === "/admin/faults" && req.method === "PUT") {
      const parsed = faultsSchema.partial().safeParse(body ?? {});
      if (!parsed.success) return send(res, 422, { detail: z.flattenError(parsed.error) });
      setFaults(parsed.data);
      return send(res, 200, faults);
    }
    send(res, 404, { detail: "Not Found" });
  }

  let recommender: RecommenderClient | null = options.recommender ?? null;
  async function advance(days: number) {
    for (let day = 0; day < days; day++) {
      const { plays } = recommender ? await recommendedPlays(catalogue, recommender) : { plays: new Map<number, number[]>() };
      catalogue.advanceDay(plays);
    }
    invalidate();
  }

  // One round at a time: each moves the clock on from where the one before left it.
  let rounds: Promise<unknown> = Promise.resolve();
  function playRound(): Promise<void> {
    const round = rounds.then(oneRound);
    rounds = round.catch(() => undefined);
    return round;
  }

  async function oneRound() {
    // Right after another round the clock may be a second or two ahead of whole-second time: wait for it.
    const ahead = catalogue.now.getTime() + 2000 - Date.now();
    if (ahead > 10_000) throw new ClockAheadError(catalogue.now);
    await sleep(Math.max(0, ahead));
    // The round's activity happens during it: what came before it was a quiet time.
    catalogue.skipTo(new Date(wholeSecond(Date.now()) - 1000));
    const { plays } = recommender ? await recommendedPlays(catalogue, recommender) : { plays: new Map<number, number[]>() };
    // Timestamps keep whole seconds: plays start at the second after the last answer, and the round ends at least a second later.
    const playsFrom = wholeSecond(Date.now()) + 1000;
    // A timer may fire a millisecond early: wait until the clock has really passed the plays' second.
    while (wholeSecond(Date.now()) <= playsFrom) await sleep(playsFrom + 1005 - Date.now());
    catalogue.advanceTo(new Date(wholeSecond(Date.now())), plays, new Date(playsFrom));
    invalidate();
  }

  function setFaults(next: Partial<Faults>) {
    faults = { ...faults, ...next };
    invalidate();
  }

  function stats(): SimulatorStats {
    return {
      requests,
      faultsServed: { ...faultsServed },
      counts: { tracks: catalogue.records.tracks.length, users: catalogue.records.users.length, listen_history: catalogue.records.listen_history.length },
      now: catalogue.now.toISOString(),
    };
  }

  invalidate();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://simulator");
    const path = url.pathname.replace(/\/$/, "");
    const dataset = DATASETS.find((d) => `/${d}` === path);
    const handled =
      dataset && req.method === "GET"
        ? serveData(dataset, url, res)
        : path.startsWith("/admin/")
          ? serveAdmin(path, req, res)
          : Promise.resolve(send(res, 404, { detail: "Not Found" }));
    handled.catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { detail: String(error) });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    catalogue,
    advance,
    playRound,
    setRecommender: (client) => (recommender = client),
    setFaults,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/** A round cannot date its records before the real now: the clock was moved ahead by whole days. */
export class ClockAheadError extends Error {
  constructor(clock: Date) {
    super(
      `The simulator's clock (${clock.toISOString()}) is not behind the real time, so a round would date its records in the future; restart the simulator to bring its clock back to today.`,
    );
    this.name = "ClockAheadError";
  }
}

const send = (res: http.ServerResponse, status: number, body: unknown) => sendJson(res, status, JSON.stringify(body));

function sendJson(res: http.ServerResponse, status: number, json: string) {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8").trim();
      try {
        resolve(text === "" ? null : JSON.parse(text));
      } catch (error) {
        reject(error);
      }
    });
    req.on("error", reject);
  });
}
