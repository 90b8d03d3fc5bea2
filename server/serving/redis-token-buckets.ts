import { createClient, defineScript, type CommandParser } from "@redis/client";
import { redactSecrets } from "../lib/redact";
import { MemoryTokenBuckets, type TokenBuckets } from "./rate-limit";

/**
 * Refill and take in one atomic step, on Redis's clock (TIME), so processes on machines whose clocks
 * differ share one bucket. The time is kept as TIME's two integers and the tokens with all 17 digits:
 * Lua's tostring keeps 14, which at thousands of checks a second adds or loses whole tokens.
 * A bucket expires when it would be full again (a missing one starts full). The wait goes back as
 * a string: Redis truncates a Lua number to an integer.
 */
const TAKE = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = redis.call('TIME')
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 's', 'us')
local tokens = burst
if bucket[1] then
  local elapsed = (tonumber(now[1]) - tonumber(bucket[2])) + (tonumber(now[2]) - tonumber(bucket[3])) / 1000000
  tokens = math.min(burst, tonumber(bucket[1]) + math.max(0, elapsed) * rate)
end
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 's', now[1], 'us', now[2])
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return string.format('%.17g', wait)`,
  parseCommand(parser: CommandParser, name: string, rate: number, burst: number) {
    parser.pushKey(`encore:limit:${name}`);
    parser.push(String(rate), String(burst));
  },
  transformReply: (reply: unknown) => Number(reply),
});

/** Past this a check counts as failed: the serving p99 target is 20 ms, a check costs well under 1 ms. */
const CHECK_TIMEOUT_MS = 100;
/** After a failed check, Redis is tried again this much later, so an outage costs no request a wait. */
const RETRY_AFTER_MS = 1000;

/**
 * Token buckets shared by every process through Redis: one EVALSHA round trip per check.
 * Fail-safe: while Redis cannot answer, this process limits on its own (as if it were the only one)
 * and says so once in its log, and once more when Redis is back; no request fails for it.
 */
export class RedisTokenBuckets implements TokenBuckets {
  private readonly client;
  private readonly fallback = new MemoryTokenBuckets();
  private retryAt = 0;
  private down = false;
  /** Until the first connection succeeds or fails, checks wait for it (at most the connect timeout) rather than count alone. */
  private starting: Promise<void> | null;

  constructor(
    private readonly url: string,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.client = createClient({
      url,
      scripts: { take: TAKE },
      // Refused at once while disconnected, instead of queued behind the reconnection.
      disableOfflineQueue: true,
      commandOptions: { timeout: CHECK_TIMEOUT_MS },
      socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
    });
    // Each reconnection attempt reports here; take() tells the log once, from the check that failed.
    this.client.on("error", () => undefined);
    this.starting = new Promise<void>((resolve) => {
      this.client.once("ready", resolve);
      this.client.once("error", resolve);
    }).then(() => {
      this.starting = null;
    });
    this.client.connect().catch(() => undefined);
  }

  async take(name: string, rate: number, burst: number): Promise<number> {
    if (this.starting) await this.starting;
    if (this.down && performance.now() < this.retryAt) return this.fallback.take(name, rate, burst);
    try {
      const wait = await this.client.take(name, rate, burst);
      if (this.down) {
        this.down = false;
        this.log(`[encore] Redis at ${redactSecrets(this.url)} answers again: API rate limits are shared by every process again.`);
      }
      return wait;
    } catch (error) {
      if (!this.down) {
        this.down = true;
        this.log(
          `[encore] Redis at ${redactSecrets(this.url)} cannot be reached (${error instanceof Error ? error.message : String(error)}): this process limits API keys on its own until it is back.`,
        );
      }
      this.retryAt = performance.now() + RETRY_AFTER_MS;
      return this.fallback.take(name, rate, burst);
    }
  }

  sweep(): void {
    this.fallback.sweep();
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
