import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { redactSecrets } from "../lib/redact";
import { pageEnvelope, type Dataset, type PageEnvelope } from "./records";

export interface FetchPolicy {
  /** per request, including reading the body */
  timeoutMs: number;
  /**
   * How long a page is retried, from its first request: a budget in time rather than in tries (as
   * the AWS SDKs and Airflow do), so a source that is down for a while or rate-limits is waited out.
   */
  budgetMs: number;
  /** A cap on requests per page within the budget (Infinity: the budget alone decides). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  timeoutMs: 10_000,
  budgetMs: 300_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
};

export class SourceError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "SourceError";
  }
}

/** The source's base URL, without credentials, and the Authorization header that carries them. */
export interface SourceEndpoint {
  url: string;
  authorization?: string;
}

export type RetryNotice = { url: string; attempt: number; delayMs: number; budgetLeftMs: number; reason: string };

/** Seconds or an HTTP date, as RFC 9110 allows. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Exponential backoff with full jitter, capped; the server's Retry-After when longer (a source that
 * asks for more than the cap is obeyed: the page's time budget bounds the wait instead).
 */
export function retryDelay(attempt: number, policy: FetchPolicy, retryAfterMs?: number, random = Math.random): number {
  const backoff = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.max(backoff, retryAfterMs ?? 0);
}

/** A page as parsed, and the body exactly as the source sent it (for the data lake). */
export interface FetchedPage {
  page: PageEnvelope;
  raw: Buffer;
}

// Plain keep-alive agents: per request they cost a fraction of fetch()'s machinery, which shows at thousands of pages.
const agents = { "http:": new http.Agent({ keepAlive: true, maxSockets: 64 }), "https:": new https.Agent({ keepAlive: true, maxSockets: 64 }) };

interface RawResponse {
  status: number;
  retryAfter: string | null;
  body: Buffer;
}

function get(url: string, timeoutMs: number, signal?: AbortSignal, authorization?: string): Promise<RawResponse> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      target,
      { agent: agents[target.protocol as "http:" | "https:"], headers: { accept: "application/json", ...(authorization ? { authorization } : {}) }, signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          clearTimeout(timer);
          const retryAfter = response.headers["retry-after"];
          resolve({ status: response.statusCode ?? 0, retryAfter: typeof retryAfter === "string" ? retryAfter : null, body: Buffer.concat(chunks) });
        });
        response.on("error", reject);
      },
    );
    // One deadline for the whole exchange, body included: a source that stalls mid-body is abandoned too.
    const timer = setTimeout(() => request.destroy(new SourceError(`no answer within ${timeoutMs} ms`, true)), timeoutMs);
    request.on("error", (error) => {
      clearTimeout(timer);
      // Stopped from outside (cancel, shutdown): not the source's fault, not retried.
      if (signal?.aborted) return reject(signal.reason);
      reject(error instanceof SourceError ? error : new SourceError(`network error (${(error as NodeJS.ErrnoException).code ?? error.message})`, true));
    });
  });
}

async function fetchOnce(url: string, timeoutMs: number, signal?: AbortSignal, authorization?: string): Promise<FetchedPage> {
  const response = await get(url, timeoutMs, signal, authorization);
  const { status } = response;
  const body = response.body.toString("utf8");
  if (status === 429 || status >= 500) throw new SourceError(`HTTP ${status}`, true, parseRetryAfter(response.retryAfter));
  if (status < 200 || status >= 300) throw new SourceError(`HTTP ${status}: ${body.slice(0, 300)}`, false);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // A proxy's error page in place of JSON is usually passing.
    throw new SourceError(`answer is not JSON: ${JSON.stringify(body.slice(0, 60))}`, true);
  }
  const envelope = pageEnvelope.safeParse(json);
  if (!envelope.success)
    throw new SourceError(`answer is not a page: ${envelope.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, true);
  return { page: envelope.data, raw: response.body };
}

/** One page of one dataset, retried within the policy's time budget; the error names the URL and the tries' reasons. */
export async function fetchPage(
  source: SourceEndpoint,
  dataset: Dataset,
  page: number,
  size: number,
  policy: FetchPolicy = DEFAULT_FETCH_POLICY,
  onRetry?: (notice: RetryNotice) => void,
  signal?: AbortSignal,
): Promise<FetchedPage> {
  const url = `${source.url.replace(/\/$/, "")}/${dataset}?page=${page}&size=${size}`;
  const shown = redactSecrets(url);
  const reasons: string[] = [];
  const deadline = Date.now() + policy.budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      signal?.throwIfAborted();
      return await fetchOnce(url, policy.timeoutMs, signal, source.authorization);
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      reasons.push(error.message);
      const delayMs = retryDelay(attempt, policy, error.retryAfterMs);
      const budgetLeftMs = deadline - Date.now();
      // A wait that would end past the budget is not worth starting: the page fails now, with the reasons.
      if (!error.retryable || attempt >= policy.maxAttempts || delayMs >= budgetLeftMs) {
        const spent = `${attempt} attempt${attempt === 1 ? "" : "s"} in ${((policy.budgetMs - budgetLeftMs) / 1000).toFixed(1)} s`;
        // The first and the latest reasons: a page retried for minutes would otherwise carry hundreds.
        const shownReasons = reasons.length > 6 ? [...reasons.slice(0, 3), `… ${reasons.length - 6} more …`, ...reasons.slice(-3)] : reasons;
        throw new SourceError(`GET ${shown} failed after ${spent}: ${shownReasons.join("; ")}`, false);
      }
      onRetry?.({ url: shown, attempt, delayMs, budgetLeftMs, reason: error.message });
      // Aborted: the signal's own reason (cancel, shutdown) rather than a bare AbortError.
      await sleep(delayMs, undefined, { signal }).catch(() => signal?.throwIfAborted());
    }
  }
}
