import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { PRIVATE_DIR, PRIVATE_FILE } from "../runtime/private-files";

/**
 * A file of named typed arrays and a JSON header: how snapshots and model artefacts are stored.
 * Layout: "ENCBIN1\n", u32 header length, header JSON, zero padding to 8 bytes, then each array's
 * bytes at the offset the header gives (8-byte aligned, little-endian as on every machine we run).
 */
const MAGIC = Buffer.from("ENCBIN1\n");

type Arrays = Record<string, Float32Array | Float64Array | Int32Array>;
const KINDS = { Float32Array, Float64Array, Int32Array } as const;
type Kind = keyof typeof KINDS;

interface Header<Meta> {
  meta: Meta;
  arrays: { name: string; kind: Kind; offset: number; length: number }[];
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function encodeBinary<Meta>(meta: Meta, arrays: Arrays): Buffer {
  const entries: Header<Meta>["arrays"] = [];
  // Offsets are from the start of the data area, so the header's own length does not move them.
  let offset = 0;
  for (const [name, array] of Object.entries(arrays)) {
    entries.push({ name, kind: array.constructor.name as Kind, offset, length: array.length });
    offset = align8(offset + array.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta, arrays: entries } satisfies Header<Meta>));
  const dataStart = align8(MAGIC.length + 4 + header.length);
  const out = Buffer.alloc(dataStart + offset);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  for (const entry of entries) {
    const array = arrays[entry.name]!;
    Buffer.from(array.buffer, array.byteOffset, array.byteLength).copy(out, dataStart + entry.offset);
  }
  return out;
}

export function decodeBinary<Meta>(file: Buffer): { meta: Meta; arrays: Arrays } {
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error("not an Encore binary file");
  const headerLength = file.readUInt32LE(MAGIC.length);
  const header = JSON.parse(file.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength).toString("utf8")) as Header<Meta>;
  const dataStart = align8(MAGIC.length + 4 + headerLength);
  const arrays: Arrays = {};
  for (const entry of header.arrays) {
    const Type = KINDS[entry.kind];
    // Copied into its own buffer: aligned, and independent of the file's.
    const bytes = file.subarray(dataStart + entry.offset, dataStart + entry.offset + entry.length * Type.BYTES_PER_ELEMENT);
    const array = new Type(entry.length);
    Buffer.from(array.buffer).set(bytes);
    arrays[entry.name] = array;
  }
  return { meta: header.meta, arrays };
}

export const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Writes `bytes` under `dir` as `<digest>.<ext>` (content-addressed, so a retry writes the same file), privately. */
export async function writeContentAddressed(dir: string, ext: string, bytes: Buffer): Promise<{ file: string; digest: string }> {
  const digest = sha256(bytes);
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
  const file = path.join(/* turbopackIgnore: true */ dir, `${digest}.${ext}`);
  await writeFile(`${file}.tmp`, bytes, { mode: PRIVATE_FILE });
  await rename(`${file}.tmp`, file);
  return { file, digest };
}

/** Reads a content-addressed file back, refusing one whose bytes no longer match its digest. */
export async function readVerified(file: string, digest: string): Promise<Buffer> {
  const bytes = await readFile(file);
  const actual = sha256(bytes);
  if (actual !== digest) throw new Error(`${file} is damaged: its SHA-256 is ${actual.slice(0, 12)}…, the registry expects ${digest.slice(0, 12)}…`);
  return bytes;
}
