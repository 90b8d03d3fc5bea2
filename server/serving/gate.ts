import type pg from "pg";
import { env } from "../config/env";
import { authenticateKey, bearerKey, mayBeLiveKey, type ApiKeyPrincipal } from "./api-keys";
import type { Scope } from "./scopes";
import { MemoryTokenBuckets, type TokenBuckets } from "./rate-limit";
import { RedisTokenBuckets } from "./redis-token-buckets";

export type GateRefusal = { status: 401 | 403 | 429; code: "UNAUTHORIZED" | "FORBIDDEN" | "RATE_LIMITED"; message: string; retryAfterSeconds?: number };

interface Limits {
  /** `key:<id>` for each key's rate, `address:<ip>` for missing or unknown keys from an address. */
  buckets: TokenBuckets;
  /** Addresses this process saw refused for bad keys, and until when (performance.now()). */
  refusedUntil: Map<string, number>;
}

// REST (the HTTP server's copy of this module) and tRPC (Next.js's copy) share one set of buckets.
const holder = globalThis as unknown as { encoreApiLimits?: Limits };
function limits(): Limits {
  if (!holder.encoreApiLimits) {
    const redisUrl = env().REDIS_URL;
    const created: Limits = { buckets: redisUrl ? new RedisTokenBuckets(redisUrl) : new MemoryTokenBuckets(), refusedUntil: new Map() };
    setInterval(() => {
      created.buckets.sweep();
      const now = performance.now();
      for (const [ip, until] of created.refusedUntil) if (until <= now) created.refusedUntil.delete(ip);
    }, 60_000).unref();
    holder.encoreApiLimits = created;
  }
  return holder.encoreApiLimits;
}

const tooMany = (seconds: number, message: string): GateRefusal => ({
  status: 429,
  code: "RATE_LIMITED",
  message,
  retryAfterSeconds: Math.max(1, Math.ceil(seconds)),
});

/**
 * Lets an API request through with its key, or says why not: no or unknown key (401), a scope the
 * key lacks (403), over the key's rate (429). An address that keeps sending bad keys gets 429 for
 * them, while valid keys from it (another client behind the same NAT) still pass.
 */
export async function admitApiKey(
  pool: pg.Pool,
  authorization: string | null | undefined,
  ip: string,
  scope: Scope,
): Promise<{ key: ApiKeyPrincipal } | { refusal: GateRefusal }> {
  const { buckets, refusedUntil } = limits();
  const token = bearerKey(authorization);
  const failureRate = env().API_AUTH_FAILURES_PER_SECOND;
  const badKeys = (wait: number) => ({
    refusal: tooMany(wait, "Too many requests with a missing or unknown API key from this address; wait, and send a valid key."),
  });
  // An address refused for bad keys gets its 429 before any lookup of its own until its bucket has a
  // token again; remembered here, so a valid key's request costs one check of the buckets, not two.
  const throttled = ((refusedUntil.get(ip) ?? 0) - performance.now()) / 1000;
  if (throttled > 0 && !(token && (await mayBeLiveKey(pool, token)))) return badKeys(throttled);
  const key = token ? await authenticateKey(pool, token) : null;
  if (!key) {
    const wait = await buckets.take(`address:${ip}`, failureRate, failureRate * 10);
    if (wait > 0) {
      refusedUntil.set(ip, performance.now() + wait * 1000);
      return badKeys(wait);
    }
    return {
      refusal: { status: 401, code: "UNAUTHORIZED", message: token ? "This API key is unknown or revoked." : "Send an API key: Authorization: Bearer <key>." },
    };
  }
  if (!key.scopes.includes(scope)) return { refusal: { status: 403, code: "FORBIDDEN", message: `This API key lacks the ${scope} scope.` } };
  const wait = await buckets.take(`key:${key.id}`, key.ratePerSecond, key.burst);
  if (wait > 0) return { refusal: tooMany(wait, `This API key is limited to ${key.ratePerSecond} requests a second (burst ${key.burst}).`) };
  return { key };
}
