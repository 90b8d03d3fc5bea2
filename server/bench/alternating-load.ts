import autocannon from "autocannon";
import { machineBusySeconds } from "./harness";
import { LatencyHistogram, type BlockPair } from "./latency-histogram";

export interface AlternatingLoad {
  url: string;
  key: string;
  /** listeners outside the experiment, and inside it */
  without: readonly number[];
  within: readonly number[];
  /** which group each pair of blocks begins with */
  withinFirst: boolean;
  rate: number;
  connections: number;
  seconds: number;
  blockMs: number;
}

/**
 * Autocannon's rate limit sends each connection's share of a second at the start of that second,
 * so blocks begin this long before a second does and take whole bursts; the exposures a burst
 * queues are written (100 ms later) within its own block.
 */
const LEAD_MS = 200;

/**
 * One steady load at a fixed rate that alternates every `blockMs` between listeners outside and
 * inside an experiment. Separate runs of each condition drifted apart on a shared machine by more
 * than the effect measured; neighbouring blocks of one run share the drift. Each response is counted
 * in the block its request was sent in; the machine's CPU is read at each block's start.
 */
export async function alternatingLoad(
  options: AlternatingLoad,
): Promise<{ pairs: BlockPair[]; cpuUsPerRequest: { without: number; within: number }; errors: number }> {
  const { url, key, without, within, withinFirst, rate, connections, seconds, blockMs } = options;
  const started = Date.now();
  const blockOf = (at: number) => Math.floor((at - started + LEAD_MS) / blockMs);
  const startOf = (block: number) => started - LEAD_MS + block * blockMs;
  const histograms: LatencyHistogram[] = [];
  const busyAtStart = [machineBusySeconds()];
  let timer: NodeJS.Timeout;
  const sample = () => {
    busyAtStart.push(machineBusySeconds());
    timer = setTimeout(sample, startOf(busyAtStart.length) - Date.now());
  };
  timer = setTimeout(sample, startOf(1) - Date.now());
  let errors = 0;
  const isWithin = (block: number) => block % 2 === (withinFirst ? 0 : 1);
  const pick = (users: readonly number[]) => users[Math.floor(Math.random() * users.length)]!;
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        overallRate: rate,
        headers: { authorization: `Bearer ${key}` },
        requests: [
          {
            method: "GET",
            setupRequest: (request) => ({ ...request, path: `/api/v1/users/${pick(isWithin(blockOf(Date.now())) ? within : without)}/recommendations?k=20` }),
          },
        ],
      },
      (error: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status !== 200) errors++;
      (histograms[blockOf(Date.now() - ms)] ??= new LatencyHistogram()).add(ms);
    });
    instance.on("reqError", () => errors++);
  });
  clearTimeout(timer!);
  // Whole pairs only: the last block may be cut short, and its CPU is not read at its end.
  const pairs: BlockPair[] = [];
  const cpu = { without: 0, within: 0 };
  const requests = { without: 0, within: 0 };
  for (let b = 0; b + 1 < histograms.length && b + 2 < busyAtStart.length; b += 2) {
    const [w, o] = isWithin(b) ? [b, b + 1] : [b + 1, b];
    const pair = { without: histograms[o] ?? new LatencyHistogram(), within: histograms[w] ?? new LatencyHistogram() };
    pairs.push(pair);
    cpu.without += busyAtStart[o + 1]! - busyAtStart[o]!;
    cpu.within += busyAtStart[w + 1]! - busyAtStart[w]!;
    requests.without += pair.without.total;
    requests.within += pair.within.total;
  }
  return { pairs, cpuUsPerRequest: { without: (cpu.without * 1e6) / requests.without, within: (cpu.within * 1e6) / requests.within }, errors };
}
