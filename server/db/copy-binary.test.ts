import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { BinaryCopyWriter, readBinaryCopy } from "./copy-binary";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrated: false });
  await database.pool.query("CREATE TABLE days (user_id integer, heard_on timestamptz, track_ids integer[])");
});
afterAll(() => database.drop());

/** Microseconds since 2000-01-01 UTC, as PostgreSQL keeps a timestamptz. */
const micros = (iso: string, extra = 0) => (Date.parse(iso) - Date.parse("2000-01-01T00:00:00Z")) * 1000 + extra;

const rows = [
  { userId: 1, at: micros("1999-12-31T23:59:59.999Z", 999), tracks: [5, -2] },
  { userId: -7, at: 0, tracks: [] },
  { userId: 2147483647, at: micros("2026-06-01T01:00:00.123Z", 456), tracks: [2147483647, -2147483648, 0] },
];

describe("binary COPY", () => {
  it("writes what PostgreSQL reads as the same integers, instants to the microsecond and arrays", async () => {
    const chunks: Buffer[] = [];
    const writer = new BinaryCopyWriter(async (chunk) => void chunks.push(chunk));
    for (const row of rows) {
      writer.row(3, BinaryCopyWriter.rowBytes(1, 1, [row.tracks.length]));
      writer.int4(row.userId);
      writer.timestamp(row.at);
      writer.int4Array(row.tracks);
      // A drain between rows: the input may reach PostgreSQL in any number of pieces.
      await writer.drain();
    }
    await writer.end();
    const client = await database.pool.connect();
    try {
      await pipeline(Readable.from(chunks), client.query(copyFrom("COPY days FROM STDIN (FORMAT binary)")));
    } finally {
      client.release();
    }
    const { rows: stored } = await database.pool.query<{ user_id: number; at: string; track_ids: number[] }>(
      "SELECT user_id, to_char(heard_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at, track_ids FROM days ORDER BY heard_on",
    );
    expect(stored).toEqual([
      { user_id: 1, at: "1999-12-31 23:59:59.999999", track_ids: [5, -2] },
      { user_id: -7, at: "2000-01-01 00:00:00.000000", track_ids: [] },
      { user_id: 2147483647, at: "2026-06-01 01:00:00.123456", track_ids: [2147483647, -2147483648, 0] },
    ]);
  });

  it("reads every row back whatever the chunks it arrives in, NULL arrays and NULL elements as none", async () => {
    await database.pool.query("INSERT INTO days VALUES (8, '2000-01-01T00:00:00.000001Z', NULL), (9, '2000-01-01T00:00:01Z', '{4,NULL,6}')");
    const client = await database.pool.connect();
    const read: { userId: number; at: number; tracks: number[] }[] = [];
    let count: number;
    try {
      const source = client.query(copyTo("COPY (SELECT user_id, heard_on, track_ids FROM days ORDER BY heard_on) TO STDOUT (FORMAT binary)"));
      // One byte at a time: every field and every row split across chunks.
      async function* bytes() {
        for await (const chunk of source as AsyncIterable<Buffer>) for (let i = 0; i < chunk.length; i++) yield chunk.subarray(i, i + 1);
      }
      count = await readBinaryCopy(bytes(), (row) => {
        const n = row.int4Array(2);
        read.push({ userId: row.int4(0), at: row.timestamp(1), tracks: [...row.ints.subarray(0, n)] });
      });
    } finally {
      client.release();
    }
    expect(count).toBe(5);
    expect(read).toEqual([rows[0], rows[1], { userId: 8, at: 1, tracks: [] }, { userId: 9, at: 1_000_000, tracks: [4, 6] }, rows[2]]);
  });

  it("refuses a stream that ends inside a row", async () => {
    const client = await database.pool.connect();
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of client.query(copyTo("COPY days TO STDOUT (FORMAT binary)")) as AsyncIterable<Buffer>) chunks.push(chunk);
    } finally {
      client.release();
    }
    const whole = Buffer.concat(chunks);
    await expect(readBinaryCopy([whole.subarray(0, whole.length - 5)], () => {})).rejects.toThrow("COPY ended inside a row");
  });
});
