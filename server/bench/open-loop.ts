import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { percentile } from "../lib/percentiles";
import { Random } from "../lib/random";

/** One kind of request of a mix: its share of the load and the path of each request. */
export interface RequestKind {
  kind: string;
  share: number;
  path(): string;
}

export interface KindLatency {
  kind: string;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  /** answers other than 2xx, and requests that failed or were still unanswered at the end */
  failed: number;
}

/**
 * Open-loop load at a constant arrival rate (wrk2's method): requests evenly spaced, each kind drawn
 * by its share, each latency counted from the request's intended start, so a stalled server is not
 * hidden by a load generator waiting for it. Keep-alive sockets, as an app backend's HTTP pool: pass
 * a warm-up's agent as `warm` to measure with its sockets already open (the caller destroys it).
 */
export async function openLoop(
  base: string,
  headers: Record<string, string>,
  kinds: RequestKind[],
  rate: number,
  seconds: number,
  warm?: http.Agent,
): Promise<KindLatency[]> {
  const agent = warm ?? new http.Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL(base);
  const total = Math.round(rate * seconds);
  const latencies = kinds.map(() => [] as number[]);
  const failed = kinds.map(() => 0);
  const shares = kinds.reduce((sum, k) => sum + k.share, 0);
  const pick = (u: number) => {
    let at = u * shares;
    for (let k = 0; k < kinds.length; k++) if ((at -= kinds[k]!.share) < 0) return k;
    return kinds.length - 1;
  };
  const random = new Random(1);
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const intended = start + (i * 1000) / rate;
    const wait = intended - performance.now();
    if (wait > 1) await sleep(wait);
    const k = pick(random.next());
    const sent = new Promise<void>((resolve) => {
      const request = http.get({ host: url.hostname, port: url.port, path: kinds[k]!.path(), headers, agent }, (response) => {
        response.resume();
        response.on("end", () => {
          if (response.statusCode !== undefined && response.statusCode < 300) latencies[k]!.push(performance.now() - intended);
          else failed[k]!++;
          resolve();
        });
      });
      request.setTimeout(10_000, () => request.destroy(new Error("timed out")));
      request.on("error", () => {
        failed[k]!++;
        resolve();
      });
    });
    pending.add(sent);
    void sent.then(() => pending.delete(sent));
  }
  await Promise.all(pending);
  if (!warm) agent.destroy();
  return kinds.map((kind, k) => {
    const answered = latencies[k]!;
    const q = (p: number) => (answered.length ? percentile(answered, p) : Number.NaN);
    return { kind: kind.kind, requests: answered.length + failed[k]!, p50: q(0.5), p99: q(0.99), max: q(1), failed: failed[k]! };
  });
}
