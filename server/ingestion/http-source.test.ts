import { describe, expect, it } from "vitest";
import { DEFAULT_FETCH_POLICY, parseRetryAfter, retryDelay } from "./http-source";

describe("Retry-After", () => {
  it("reads seconds and HTTP dates, and ignores the rest", () => {
    const now = Date.parse("2026-11-27T10:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("backoff", () => {
  const policy = { ...DEFAULT_FETCH_POLICY, baseDelayMs: 100, maxDelayMs: 5000 };

  it("draws each delay uniformly up to an exponentially growing cap (full jitter)", () => {
    expect(retryDelay(1, policy, undefined, () => 0.999)).toBeCloseTo(99.9);
    expect(retryDelay(4, policy, undefined, () => 0.5)).toBe(400);
    expect(retryDelay(4, policy, undefined, () => 0)).toBe(0);
    expect(retryDelay(20, policy, undefined, () => 0.999)).toBeLessThanOrEqual(5000);
  });

  it("waits at least what Retry-After asks, past the backoff's cap too (the page's time budget bounds it)", () => {
    expect(retryDelay(1, policy, 2000, () => 0.1)).toBe(2000);
    expect(retryDelay(1, policy, 60_000, () => 0.1)).toBe(60_000);
  });
});
