import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pageEnvelope, DATASETS } from "../ingestion/records";
import { validateRecord } from "../ingestion/validate";
import { catalogueOptions } from "./options";
import { startSimulator, type Simulator } from "./server";

const FIXTURES = path.join(process.cwd(), "server", "ingestion", "fixtures");
let simulator: Simulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

const start = async (mode: "original" | "realistic" = "original", seed = 3, faults = {}) =>
  (simulator = await startSimulator({ ...catalogueOptions(mode, seed, mode === "realistic" ? { tracks: 300, users: 200, histories: 500 } : {}), faults }));

async function getJson(url: string) {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe("the simulator speaks the original server's contract", () => {
  it.each(DATASETS)("%s pages have the original's envelope and record fields", async (dataset) => {
    const fixture = JSON.parse(await readFile(path.join(FIXTURES, `${dataset}.page2.size3.json`), "utf8")) as { items: Record<string, unknown>[] };
    const s = await start();
    const { status, body } = await getJson(`${s.url}/${dataset}?page=2&size=3`);
    expect(status).toBe(200);
    expect(pageEnvelope.parse(body)).toMatchObject({ total: 1000, page: 2, size: 3, pages: 334 });
    const items = body.items as Record<string, unknown>[];
    expect(items).toHaveLength(3);
    const expectedFields = Object.keys(fixture.items[0]!);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual([...expectedFields].sort());
      expect(validateRecord(dataset, item).ok).toBe(true);
      expect(String(item.created_at)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/);
    }
  });

  it("answers 422 for a bad page or size, and an empty page past the end", async () => {
    const s = await start();
    for (const query of ["page=0", "size=0", "size=101", "page=x"]) {
      const { status, body } = await getJson(`${s.url}/tracks?${query}`);
      expect(status, query).toBe(422);
      expect((body.detail as { loc: string[] }[])[0]!.loc[0]).toBe("query");
    }
    const past = await getJson(`${s.url}/users?page=11&size=100`);
    expect(past.body).toMatchObject({ items: [], total: 1000, page: 11, pages: 10 });
  });

  it("gives the same data for the same seed and other data for another", async () => {
    const first = (await start("realistic", 9)).catalogue.records.listen_history.slice(0, 50);
    await simulator!.close();
    const again = (await start("realistic", 9)).catalogue.records.listen_history.slice(0, 50);
    await simulator!.close();
    const other = (await start("realistic", 10)).catalogue.records.listen_history.slice(0, 50);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it("advancing the clock adds records and moves some updated_at", async () => {
    const s = await start("realistic", 4);
    const before = structuredClone(s.catalogue.records);
    const { status, body } = await fetch(`${s.url}/admin/advance`, { method: "POST", body: JSON.stringify({ days: 2 }) }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { counts: Record<string, number> },
    }));
    expect(status).toBe(200);
    expect(body.counts.tracks).toBeGreaterThan(before.tracks.length);
    expect(body.counts.users).toBeGreaterThan(before.users.length);
    expect(body.counts.listen_history).toBeGreaterThan(before.listen_history.length);
    const moved = s.catalogue.records.users.slice(0, before.users.length).filter((u, i) => u.updated_at !== before.users[i]!.updated_at);
    expect(moved.length).toBeGreaterThan(0);
  });

  it("a round dates its records up to the real now, never after it, and each play after the answer it follows", async () => {
    const s = await start("realistic", 5);
    // A stand-in for Encore: answers every listener with three tracks and notes when it first answered them.
    const answeredAt = new Map<number, number>();
    const tracks = s.catalogue.records.tracks.slice(0, 3).map((t) => ({ trackId: t.id }));
    const encore = http.createServer((req, res) => {
      const user = /\/users\/(\d+)\//.exec(req.url ?? "")?.[1];
      if (user && !answeredAt.has(Number(user))) answeredAt.set(Number(user), Date.now());
      req
        .resume()
        .on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ requestId: "r", items: user ? tracks : [] })));
    });
    await new Promise<void>((resolve) => encore.listen(0, "127.0.0.1", resolve));
    s.setRecommender({ url: `http://127.0.0.1:${(encore.address() as AddressInfo).port}`, apiKey: "k", dailyShare: 0.5 });
    const before = s.catalogue.records.listen_history.length;
    try {
      for (let round = 0; round < 2; round++) expect((await fetch(`${s.url}/admin/round`, { method: "POST", body: "{}" })).status).toBe(200);
    } finally {
      encore.close();
    }
    const utc = (naive: string) => Date.parse(`${naive}Z`);
    const all = [...s.catalogue.records.tracks, ...s.catalogue.records.users, ...s.catalogue.records.listen_history];
    expect(Math.max(...all.flatMap((r) => [utc(r.created_at), utc(r.updated_at)]))).toBeLessThanOrEqual(Date.now());
    expect(s.catalogue.now.getTime()).toBeLessThanOrEqual(Date.now());
    const plays = s.catalogue.records.listen_history
      .slice(before)
      .filter((h) => h.items.every((id) => tracks.some((t) => t.trackId === id)) && answeredAt.has(h.user_id));
    expect(plays.length).toBeGreaterThan(10);
    for (const play of plays) expect(utc(play.created_at)).toBeGreaterThanOrEqual(answeredAt.get(play.user_id)!);
  });

  it("refuses a round while its clock is ahead of the real time (moved on by whole days)", async () => {
    const s = await start("realistic", 6);
    await s.advance(2);
    const response = await fetch(`${s.url}/admin/round`, { method: "POST", body: "{}" });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/not behind the real time/);
  });

  it("realistic listeners mostly play their favourite genre", async () => {
    const s = await start("realistic", 12);
    const genreOf = new Map(s.catalogue.records.tracks.map((t) => [t.id, t.genres]));
    const favourite = new Map(s.catalogue.records.users.map((u) => [u.id, u.favorite_genres]));
    let matches = 0;
    let plays = 0;
    for (const h of s.catalogue.records.listen_history) {
      for (const item of h.items) {
        plays++;
        if (genreOf.get(item) === favourite.get(h.user_id)) matches++;
      }
    }
    // 20 genres: taste-blind listening would match about 5% of plays.
    expect(matches / plays).toBeGreaterThan(0.2);
  });
});

describe("fault knobs", () => {
  it("errorRate answers 500/502/503", async () => {
    const s = await start("original", 1, { errorRate: 1 });
    expect([500, 502, 503]).toContain((await fetch(`${s.url}/tracks`)).status);
  });

  it("rateLimitRate answers 429 with Retry-After", async () => {
    const s = await start("original", 1, { rateLimitRate: 1, retryAfterSeconds: 7 });
    const response = await fetch(`${s.url}/tracks`);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });

  it("latencyMs and hangRate delay the answer", async () => {
    const s = await start("original", 1, { latencyMs: 150 });
    const t0 = Date.now();
    await fetch(`${s.url}/users`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    s.setFaults({ latencyMs: 0, hangRate: 1, hangMs: 5000 });
    await expect(fetch(`${s.url}/users`, { signal: AbortSignal.timeout(300) })).rejects.toThrow(/timeout|aborted/i);
  });

  it("badJsonRate answers a body that is not JSON", async () => {
    const s = await start("original", 1, { badJsonRate: 1 });
    const text = await (await fetch(`${s.url}/users`)).text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it("invalidRecords serves records of each broken kind", async () => {
    const s = await start("original", 1, { invalidRecords: 4 });
    const { body } = await getJson(`${s.url}/tracks?page=1&size=100`);
    const all = [...(body.items as unknown[])];
    for (let page = 2; page <= 10; page++) all.push(...((await getJson(`${s.url}/tracks?page=${page}&size=100`)).body.items as unknown[]));
    const reasons = all
      .map((r) => validateRecord("tracks", r))
      .filter((v) => !v.ok)
      .map((v) => (v.ok ? "" : v.reason));
    expect(reasons).toHaveLength(4);
    expect(reasons.join("\n")).toMatch(/created_at/);
    expect(reasons.join("\n")).toMatch(/updated_at: not a timestamp/);
  });

  it("duplicateRecords repeats records on later pages, and totalChange moves the total", async () => {
    const s = await start("original", 1, { duplicateRecords: 5, totalChangeAfterRequests: 2, totalChangeBy: 10 });
    const first = await getJson(`${s.url}/users?page=1&size=100`);
    expect(first.body.total).toBe(1005);
    const second = await getJson(`${s.url}/users?page=2&size=100`);
    expect(second.body.total).toBe(1015);
  });
});
