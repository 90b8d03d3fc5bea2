import pg from "pg";

/** What the api_keys trigger notifies at commit (migration 20261203120000_api_key_changes). */
export const API_KEYS_CHANNEL = "encore_api_keys";

export interface KeyCacheOptions {
  /** how long an entry is trusted: bounds a revocation's reach should the notifications stop unnoticed (a silently dead connection) */
  entryMs?: number;
  /** wait before listening again once the connection is lost */
  retryMs?: number;
  /** told when the cache stops and starts keeping keys */
  log?: (line: string) => void;
}

/**
 * Valid keys looked up lately, by hash, kept only while this process hears every change to
 * `api_keys` (LISTEN on a connection of its own). A change empties it; so does losing that
 * connection, and nothing is kept until it listens again. The lookup it saves cost PostgreSQL as
 * much CPU as the listener's own query (bench:serve, 10 ×).
 */
export class ApiKeyCache<T> {
  readonly #entries = new Map<string, { value: T; until: number }>();
  /** bumped by every change heard and every loss: a lookup begun before one is not kept */
  #generation = 0;
  #listening = false;
  /** a loss was logged and no recovery since: one line per outage, not one per retry */
  #toldLoss = false;
  #client: pg.Client | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #entryMs: number;
  readonly #retryMs: number;
  readonly #log: (line: string) => void;

  constructor(
    private readonly connectionString: string,
    { entryMs = 10_000, retryMs = 2_000, log = (line) => console.error(`[encore] ${line}`) }: KeyCacheOptions = {},
  ) {
    this.#entryMs = entryMs;
    this.#retryMs = retryMs;
    this.#log = log;
    void this.#listen();
  }

  /** Whether entries are kept now (listening). */
  get listening(): boolean {
    return this.#listening;
  }

  /** The kept value for `hash`, else `load`'s, kept when it is not null and nothing changed meanwhile. */
  async get(hash: string, load: () => Promise<T | null>): Promise<{ value: T | null; cached: boolean }> {
    const entry = this.#entries.get(hash);
    if (entry && entry.until > performance.now()) return { value: entry.value, cached: true };
    const generation = this.#generation;
    const value = await load();
    if (value !== null && this.#listening && generation === this.#generation) this.#entries.set(hash, { value, until: performance.now() + this.#entryMs });
    return { value, cached: false };
  }

  /** Forgets every entry, and what lookups now in flight will return. */
  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#stop();
    await this.#client?.end().catch(() => undefined);
    this.#client = null;
  }

  #stop(): void {
    this.#listening = false;
    this.invalidate();
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: "encore api key cache", keepAlive: true });
    this.#client = client;
    const lost = (why: string) => {
      if (this.#client !== client || this.#closed) return;
      if (!this.#toldLoss) this.#log(`API keys are looked up on every request until their changes can be heard again: ${why}`);
      this.#toldLoss = true;
      this.#client = null;
      this.#stop();
      client.end().catch(() => undefined);
      this.#retry = setTimeout(() => void this.#listen(), this.#retryMs);
      this.#retry.unref();
    };
    client.on("error", (error) => lost(error.message));
    client.on("end", () => lost("the connection ended"));
    client.on("notification", () => this.invalidate());
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEYS_CHANNEL}`);
    } catch (error) {
      lost(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.#client !== client || this.#closed) return;
    // A change made before LISTEN took effect was not heard: nothing read until now is kept.
    this.invalidate();
    this.#listening = true;
    if (this.#toldLoss) this.#log("API key changes are heard again: valid keys are kept in memory again.");
    this.#toldLoss = false;
  }
}
