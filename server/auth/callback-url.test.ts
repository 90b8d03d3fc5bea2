import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./callback-url";

describe("safeCallbackUrl", () => {
  it.each([
    ["/runs?status=failed", "/runs?status=failed"],
    [undefined, "/"],
    ["https://evil.test/phish", "/"],
    ["//evil.test/phish", "/"],
    ["/signin?callbackUrl=/x", "/"],
    ["/\\evil.test", "/"],
  ])("%s becomes %s", (input, expected) => {
    expect(safeCallbackUrl(input)).toBe(expected);
  });
});
