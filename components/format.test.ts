import { describe, expect, it } from "vitest";
import { displayZone, formatSize, formatTime, formatUtc } from "./format";

describe("times", () => {
  const at = new Date("2026-12-02T04:22:59.900Z");
  it("are ISO 8601 with their zone, to the minute", () => {
    expect(formatUtc(at)).toBe("2026-12-02 04:22 UTC");
    expect(formatTime(at, "Asia/Kolkata")).toBe("2026-12-02 09:52 +05:30");
    expect(formatTime(at, "America/New_York")).toBe("2026-12-01 23:22 -05:00");
    expect(formatTime(at, "Europe/London")).toBe("2026-12-02 04:22 +00:00");
    expect(formatTime(new Date("2026-12-02T00:05:00Z"), "UTC")).toBe("2026-12-02 00:05 UTC");
    expect(formatUtc(null)).toBe("—");
  });
  it("take a zone from the cookie only when Intl knows it", () => {
    expect(displayZone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(displayZone("Mars/Olympus")).toBe("UTC");
    expect(displayZone(undefined)).toBe("UTC");
  });
});

describe("sizes", () => {
  it("are in binary units, a decimal below 10", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(1023)).toBe("1023 B");
    expect(formatSize(3482)).toBe("3.4 KB");
    expect(formatSize(18 * 2 ** 20 + 400_000)).toBe("18 MB");
    expect(formatSize(1.25 * 2 ** 30)).toBe("1.3 GB");
  });
});
