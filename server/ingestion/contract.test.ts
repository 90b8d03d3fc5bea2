import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DATASETS, isSourceTimestamp, pageEnvelope } from "./records";
import { validateRecord } from "./validate";

// Pages served by the original MooVitamix server (see fixtures/README.md).
const fixture = async (dataset: string) =>
  JSON.parse(await readFile(path.join(process.cwd(), "server", "ingestion", "fixtures", `${dataset}.page2.size3.json`), "utf8")) as unknown;

describe("the original server's pages", () => {
  it.each(DATASETS)("%s: every record passes validation, with no unknown field", async (dataset) => {
    const page = pageEnvelope.parse(await fixture(dataset));
    expect(page.items).toHaveLength(3);
    for (const item of page.items) {
      const result = validateRecord(dataset, item);
      expect(result).toMatchObject({ ok: true, unknownFields: [] });
    }
  });
});

describe("source timestamps", () => {
  // How the database reads them (as UTC) is tested in load.test.ts.
  it.each([
    "2025-07-08T16:23:29",
    "2025-07-08T16:23:29.123456",
    "2025-07-08T16:23:29.5",
    "2025-07-08T16:23:29+02:00",
    "2025-07-08T16:23:29.25-05:30",
    "2024-02-29T00:00:00Z",
    "2000-02-29T23:59:59",
  ])("%s is accepted as sent", (input) => {
    expect(isSourceTimestamp(input)).toBe(true);
  });

  it.each([
    "2025-02-30T10:00:00",
    "2025-02-29T10:00:00",
    "1900-02-29T10:00:00",
    "2025-13-45T99:99:99",
    "2025-07-08T24:00:00",
    "yesterday",
    "2025-07-08 16:23:29",
    "2025-07-08T16:23:29.",
    "2025-07-08T16:23:29.1234567",
    "2025-07-08T16:23:29+2:00",
    "2025-07-08T16:23:29+24:00",
    "2025-07-08T16:23:29Zx",
    "2025-07-08T16:23:2a",
    "",
  ])("%s is refused", (input) => {
    expect(isSourceTimestamp(input)).toBe(false);
  });
});

describe("record validation", () => {
  it("names each wrong field, and keeps the key when it can", () => {
    const result = validateRecord("listen_history", { user_id: 5, items: [1, "x"], created_at: "2025-01-01T00:00:00", updated_at: 3, extra: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/items\.1: .*expected number/);
    expect(result.reason).toMatch(/updated_at: .*expected string/);
    expect(result.key).toBe("5@2025-01-01T00:00:00");
    expect(result.unknownFields).toEqual(["extra"]);
  });

  it("refuses ids that do not fit an integer column and durations that are not MM:SS", () => {
    const track = {
      id: 3_000_000_000,
      name: "a",
      artist: "b",
      songwriters: "c",
      duration: "3 min",
      genres: "Pop",
      album: "d",
      created_at: "2025-01-01T00:00:00",
      updated_at: "2025-01-01T00:00:00",
    };
    const result = validateRecord("tracks", track);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/id: 3000000000 is not an id from 1 to 2147483647.*duration: duration must be "MM:SS"/);
  });

  it("refuses text PostgreSQL cannot store, track ids out of range and impossible dates, naming each", () => {
    const user = {
      id: 1,
      first_name: "A\u0000",
      last_name: "B\ud800",
      email: "c\ud83c\udfb5",
      gender: "d",
      favorite_genres: "e",
      created_at: "2025-02-29T00:00:00",
      updated_at: "2025-01-01T00:00:00",
    };
    const result = validateRecord("users", user);
    expect(result).toMatchObject({ ok: false, key: "1" });
    if (!result.ok) {
      expect(result.reason).toBe(
        'first_name: contains a NUL character, which PostgreSQL cannot store; last_name: contains an unpaired surrogate, which is not Unicode text; created_at: not a timestamp: "2025-02-29T00:00:00"',
      );
    }
    const history = validateRecord("listen_history", { user_id: 1, items: [4, 0, -1], created_at: "2025-01-01T00:00:00", updated_at: "2025-01-01T00:00:00" });
    expect(history).toMatchObject({ ok: false, reason: "items: item 1: 0 is not a track id" });
  });
});

describe("the contract's fast path", () => {
  const readStartedMs = Date.parse("2026-01-01T12:00:00.500Z");
  const history = (created_at: string, extra: object = {}) => ({ user_id: 1, items: [1, 2], created_at, updated_at: "2025-01-01T00:00:00", ...extra });

  it.each([
    ["2026-01-02T12:00:00", true],
    ["2026-01-02T12:00:00.5", true],
    ["2026-01-02T12:00:00.501", false],
    ["2026-01-02T11:59:59.999999", true],
    ["2026-01-02T12:00:01", false],
    ["2026-01-02T12:00:00Z", true],
    ["2026-01-02T12:00:01Z", false],
    ["2026-01-02T07:00:00-05:00", true],
    ["2026-01-02T07:00:01-05:00", false],
    ["2026-01-02T13:00:01+01:00", false],
    ["2026-01-02T13:00:00.5+01:00", true],
    ["2026-01-02T11:00:00.9-01:00", false],
  ])("a history created at %s is %s within a day of the read (exactly as Date.parse tells)", (createdAt, accepted) => {
    expect(validateRecord("listen_history", history(createdAt), readStartedMs).ok).toBe(accepted);
  });

  it("outputs what zod outputs: known fields only, each record's reasons from zod", () => {
    const valid = validateRecord("listen_history", history("2025-01-01T00:00:00", { extra: 1 }), readStartedMs);
    expect(valid).toEqual({
      ok: true,
      record: { user_id: 1, items: [1, 2], created_at: "2025-01-01T00:00:00", updated_at: "2025-01-01T00:00:00" },
      key: "1@2025-01-01T00:00:00",
      unknownFields: ["extra"],
    });
    const track = {
      id: 1,
      name: "a",
      artist: "b",
      songwriters: "c",
      duration: "03:00",
      genres: "g",
      album: "d",
      created_at: "2025-01-01T00:00:00",
      updated_at: "2025-01-01T00:00:00",
    };
    const withExtra = validateRecord("tracks", { ...track, bpm: 120 });
    expect(withExtra.ok && withExtra.record).toEqual(track);
    for (const wrong of [
      { id: 1.5 },
      { id: "1" },
      { name: 1 },
      { duration: "3:0" },
      { album: "x\u0000" },
      { created_at: "2025-02-30T00:00:00" },
      { updated_at: null },
    ]) {
      const result = validateRecord("tracks", { ...track, ...wrong });
      expect(result.ok).toBe(false);
    }
    for (const items of [[1, 1.5], [1, "2"], [0], [2_147_483_648], "1,2", Array.from({ length: 10_001 }, () => 1)]) {
      expect(validateRecord("listen_history", { ...history("2025-01-01T00:00:00"), items }).ok).toBe(false);
    }
  });
});
