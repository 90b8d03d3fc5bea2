import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./callback-url";

describe("safeCallbackUrl", () => {
  it.each([
    ["/runs?status=failed", "/runs?status=failed"],
    ["/runs/12", "/runs/12"],
    ["/a/../runs", "/runs"],
    [undefined, "/"],
    ["", "/"],
    ["https://evil.test/phish", "/"],
    ["//evil.test/phish", "/"],
    ["/signin?callbackUrl=/x", "/"],
    ["/\\evil.test", "/"],
    ["\\\\evil.test", "/"],
    ["/./\\evil.test", "/"],
    // The forms the probe found: each normalises to //host.
    ["/.//evil.example", "/"],
    ["/%2e//evil.example", "/"],
    ["/%2E//evil.example", "/"],
    ["/a/..//evil.example", "/"],
    ["/a/%2e%2e//evil.example", "/"],
    ["/\t/evil.example", "/"],
    ["/\n/evil.example", "/"],
    ["/\r\n/evil.example", "/"],
    ["/ /evil.example", "/%20/evil.example"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["javascript:alert(1)", "/"],
    ["http:evil.example", "/evil.example"],
    ["https:evil.example", "/"],
    ["/\u0000//evil.example", "/%00//evil.example"],
  ])("%j becomes %j", (input, expected) => {
    expect(safeCallbackUrl(input)).toBe(expected);
  });
});
