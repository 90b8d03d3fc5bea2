import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { decodeBinary, encodeBinary, sha256 } from "./binary";

const arrays = {
  userIds: Int32Array.from([3, 1, 4]),
  listenTime: Float64Array.from([0.5, -2, 1e12]),
  empty: new Float32Array(0),
  factors: Float32Array.from([1, 2, 3, 4, 5]),
};
const meta = { version: 1, names: ["Été", "b"] };

/** The file's bytes handed on `size` at a time, as a socket or a file stream might. */
function inPieces(bytes: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return Readable.from(pieces);
}

describe("Encore's binary files", () => {
  const encoded = encodeBinary(meta, arrays);
  const bytes = Buffer.concat([...encoded.pieces()]);
  const digest = createHash("sha256").update(bytes).digest("hex");

  it("keep the layout: magic, header length, header, then each array 8-byte aligned", () => {
    const headerLength = bytes.readUInt32LE(8);
    const dataStart = Math.ceil((12 + headerLength) / 8) * 8;
    expect(bytes.subarray(0, 8).toString()).toBe("ENCBIN1\n");
    // 3 int32 (12 bytes, padded to 16) + 3 float64 (24) + 0 + 5 float32 (20, padded to 24)
    expect(bytes.length).toBe(dataStart + 16 + 24 + 0 + 24);
    expect(encoded.bytes).toBe(bytes.length);
    expect(sha256(encoded)).toBe(digest);
    expect(new Float64Array(bytes.buffer.slice(bytes.byteOffset + dataStart + 16, bytes.byteOffset + dataStart + 40))).toEqual(arrays.listenTime);
  });

  it.each([1, 7, 13, 64, 1 << 20])("read back whatever size the pieces come in (%i bytes)", async (size) => {
    expect(await decodeBinary(inPieces(bytes, size), digest, "test.snap")).toEqual({ meta, arrays });
  });

  it("refuse a file whose bytes changed, or that was cut short", async () => {
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 1]! ^= 1;
    await expect(decodeBinary(inPieces(damaged, 64), digest, "test.snap")).rejects.toThrow(
      /test.snap is damaged: its SHA-256 is \w{12}…, the registry expects \w{12}…/,
    );
    const short = bytes.subarray(0, bytes.length - 8);
    await expect(decodeBinary(inPieces(short, 64), createHash("sha256").update(short).digest("hex"), "test.snap")).rejects.toThrow(
      "test.snap ends before its last array",
    );
  });
});
