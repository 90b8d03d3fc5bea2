import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import { recordAudit } from "../audit/log";
import { env } from "../config/env";
import type { Db } from "../db/client";
import type { ApiKey } from "../db/generated/client";
import { ApiKeyCache, type KeyCacheOptions } from "./api-key-cache";
import { servingMetrics } from "./request-metrics";
import { DEFAULT_BURST, DEFAULT_RATE_PER_SECOND, type Scope } from "./scopes";

const KEY_PREFIX = "ek_";
const SHOWN_PREFIX_LENGTH = KEY_PREFIX.length + 8;

/** Who a request with a valid key is. */
export interface ApiKeyPrincipal {
  id: number;
  name: string;
  scopes: readonly string[];
  ratePerSecond: number;
  burst: number;
}

interface Actor {
  id?: number;
  email: string;
  ip?: string;
}

// Keys carry 256 random bits, so a fast digest is enough: guessing one is as hard as guessing the key.
const tokenHash = (key: string) => createHash("sha256").update(key).digest("hex");

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  ratePerSecond?: number;
  burst?: number;
}

/** Creates a key; the key itself is returned here once and stored only as its hash. */
export async function createApiKey(db: Db, input: NewApiKey, actor: Actor): Promise<{ key: string; record: ApiKey }> {
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  const record = await db.$transaction(async (tx) => {
    const created = await tx.apiKey.create({
      data: {
        name: input.name,
        prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
        tokenHash: tokenHash(key),
        scopes: [...new Set(input.scopes)],
        ratePerSecond: input.ratePerSecond ?? DEFAULT_RATE_PER_SECOND,
        burst: input.burst ?? DEFAULT_BURST,
        createdBy: actor.email,
      },
    });
    await recordAudit(tx, {
      action: "apikey.create",
      actorId: actor.id ?? null,
      actorEmail: actor.email,
      ip: actor.ip ?? null,
      target: `api key ${created.id}`,
      detail: { name: created.name, prefix: created.prefix, scopes: created.scopes, ratePerSecond: created.ratePerSecond, burst: created.burst },
    });
    return created;
  });
  return { key, record };
}

/** Every key, newest first, without hashes. */
export const listApiKeys = (db: Db) =>
  db.apiKey.findMany({
    orderBy: { id: "desc" },
    select: {
      id: true,
      name: true,
      prefix: true,
      scopes: true,
      ratePerSecond: true,
      burst: true,
      createdAt: true,
      createdBy: true,
      lastUsedAt: true,
      revokedAt: true,
      revokedBy: true,
    },
  });

// REST (the HTTP server's copy of this module) and tRPC (Next.js's copy) share one cache per pool.
const cacheHolder = globalThis as unknown as { encoreApiKeyCaches?: Map<pg.Pool, ApiKeyCache<ApiKeyPrincipal>> };
const caches = () => (cacheHolder.encoreApiKeyCaches ??= new Map());

/** Keeps `pool`'s valid keys in memory while every change to them is heard (`ApiKeyCache`); returns how to stop. */
export function cacheApiKeys(pool: pg.Pool, options?: KeyCacheOptions): () => Promise<void> {
  const cache = new ApiKeyCache<ApiKeyPrincipal>(pool.options.connectionString ?? "", options);
  caches().set(pool, cache);
  return async () => {
    if (caches().get(pool) === cache) caches().delete(pool);
    await cache.close();
  };
}

/** As API_KEY_CACHE_SECONDS says: `pool`'s keys cached, or not at all (0). Returns how to stop. */
export function cacheApiKeysAsConfigured(pool: pg.Pool): () => Promise<void> {
  const seconds = env().API_KEY_CACHE_SECONDS;
  return seconds > 0 ? cacheApiKeys(pool, { entryMs: seconds * 1000 }) : async () => undefined;
}

/**
 * Revokes a key (false when it is unknown or already revoked); this process refuses it from the
 * next request, other processes once they hear the change (milliseconds).
 */
export async function revokeApiKey(db: Db, id: number, actor: Actor): Promise<boolean> {
  const revoked = await db.$transaction(async (tx) => {
    const done = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date(), revokedBy: actor.email } });
    if (done.count === 0) return false;
    await recordAudit(tx, { action: "apikey.revoke", actorId: actor.id ?? null, actorEmail: actor.email, ip: actor.ip ?? null, target: `api key ${id}` });
    return true;
  });
  if (revoked) for (const cache of caches().values()) cache.invalidate();
  return revoked;
}

/** The key in `Authorization: Bearer ek_…`, or null when the header holds none. */
export function bearerKey(authorization: string | null | undefined): string | null {
  if (!authorization?.startsWith("Bearer ")) return null;
  const key = authorization.slice("Bearer ".length).trim();
  return key.startsWith(KEY_PREFIX) && key.length < 200 ? key : null;
}

const LIVE_HASHES_EVERY_MS = 1000;
const live = { hashes: new Set<string>(), loadedAt: Number.NEGATIVE_INFINITY, loading: null as Promise<void> | null };

/**
 * Whether this may be a live key, from the live keys' hashes read at most once a second (one query
 * however many requests ask). For addresses already refused for bad keys: an unknown key costs them
 * no lookup of its own, while a real key (one created a second ago included) still goes on to
 * `authenticateKey`, which stays the authority (revocation holds from the next request).
 */
export async function mayBeLiveKey(pool: pg.Pool, key: string): Promise<boolean> {
  const hash = tokenHash(key);
  if (!live.hashes.has(hash) && performance.now() - live.loadedAt > LIVE_HASHES_EVERY_MS) {
    live.loading ??= pool
      .query<{ token_hash: string }>("SELECT token_hash FROM api_keys WHERE revoked_at IS NULL")
      .then(({ rows }) => {
        live.hashes = new Set(rows.map((r) => r.token_hash));
        live.loadedAt = performance.now();
      })
      .finally(() => {
        live.loading = null;
      });
    await live.loading;
  }
  return live.hashes.has(hash);
}

const LAST_USED_EVERY_MS = 60_000;
const lastUsedWritten = new Map<number, number>();

type KeyRow = { id: number; name: string; scopes: string[] | null; rate_per_second: number; burst: number };

async function lookUp(pool: pg.Pool, hash: string): Promise<ApiKeyPrincipal | null> {
  const { rows } = await pool.query<KeyRow>({
    name: "serving.api-key",
    text: "SELECT id, name, scopes, rate_per_second, burst FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL",
    values: [hash],
  });
  const row = rows[0];
  return row ? { id: row.id, name: row.name, scopes: row.scopes ?? [], ratePerSecond: row.rate_per_second, burst: row.burst } : null;
}

/**
 * The live key with this value, or null: from the pool's cache when it keeps one (`cacheApiKeys`),
 * else looked up by its hash. `last_used_at` is written at most once a minute per key.
 */
export async function authenticateKey(pool: pg.Pool, key: string): Promise<ApiKeyPrincipal | null> {
  const hash = tokenHash(key);
  const cache = caches().get(pool);
  const { value: principal, cached } = cache ? await cache.get(hash, () => lookUp(pool, hash)) : { value: await lookUp(pool, hash), cached: false };
  servingMetrics().keyLookups.inc({ from: cached ? "memory" : "database" });
  if (!principal) return null;
  const now = Date.now();
  if (now - (lastUsedWritten.get(principal.id) ?? 0) > LAST_USED_EVERY_MS) {
    lastUsedWritten.set(principal.id, now);
    pool
      .query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [principal.id])
      .catch((error: unknown) => console.error("[encore] could not record an API key's last use:", error));
  }
  return principal;
}
