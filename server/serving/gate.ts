import type pg from "pg";
import { env } from "../config/env";
import { authenticateKey, bearerKey, mayBeLiveKey, type ApiKeyPrincipal } from "./api-keys";
import type { Scope } from "./scopes";
import { RateLimiter } from "./rate-limit";

export type GateRefusal = { status: 401 | 403 | 429; code: "UNAUTHORIZED" | "FORBIDDEN" | "RATE_LIMITED"; message: string; retryAfterSeconds?: number };

interface Limiters {
  keys: RateLimiter;
  failures: RateLimiter;
}

// REST (the HTTP server's copy of this module) and tRPC (Next.js's copy) share one set of buckets.
const holder = globalThis as unknown as { encoreApiLimiters?: Limiters };
function limiters(): Limiters {
  if (!holder.encoreApiLimiters) {
    const created: Limiters = { keys: new RateLimiter(), failures: new RateLimiter() };
    setInterval(() => {
      created.keys.sweep();
      created.failures.sweep();
    }, 60_000).unref();
    holder.encoreApiLimiters = created;
  }
  return holder.encoreApiLimiters;
}

const tooMany = (seconds: number, message: string): GateRefusal => ({ status: 429, code: "RATE_LIMITED", message, retryAfterSeconds: Math.max(1, Math.ceil(seconds)) });

/**
 * Lets an API request through with its key, or says why not: no or unknown key (401), a scope the
 * key lacks (403), over the key's rate (429). An address that keeps sending bad keys gets 429 for
 * them, while valid keys from it (another client behind the same NAT) still pass.
 */
export async function admitApiKey(pool: pg.Pool, authorization: string | null | undefined, ip: string, scope: Scope): Promise<{ key: ApiKeyPrincipal } | { refusal: GateRefusal }> {
  const { keys, failures } = limiters();
  const token = bearerKey(authorization);
  const failureRate = env().API_AUTH_FAILURES_PER_SECOND;
  const badKeys = (wait: number) => ({ refusal: tooMany(wait, "Too many requests with a missing or unknown API key from this address; wait, and send a valid key.") });
  // An address already refused for bad keys gets its 429 before any lookup of its own.
  const throttled = failures.wait(ip, failureRate, failureRate * 10);
  if (throttled > 0 && !(token && (await mayBeLiveKey(pool, token)))) return badKeys(throttled);
  const key = token ? await authenticateKey(pool, token) : null;
  if (!key) {
    const wait = failures.take(ip, failureRate, failureRate * 10);
    if (wait > 0) return badKeys(wait);
    return { refusal: { status: 401, code: "UNAUTHORIZED", message: token ? "This API key is unknown or revoked." : "Send an API key: Authorization: Bearer <key>." } };
  }
  if (!key.scopes.includes(scope)) return { refusal: { status: 403, code: "FORBIDDEN", message: `This API key lacks the ${scope} scope.` } };
  const wait = keys.take(key.id, key.ratePerSecond, key.burst);
  if (wait > 0) return { refusal: tooMany(wait, `This API key is limited to ${key.ratePerSecond} requests a second (burst ${key.burst}).`) };
  return { key };
}
