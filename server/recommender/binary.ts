import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { ObjectStore } from "../storage/store";

/**
 * A file of named typed arrays and a JSON header: how snapshots and model artefacts are stored.
 * Layout: "ENCBIN1\n", u32 header length, header JSON, zero padding to 8 bytes, then each array's
 * bytes at the offset the header gives (8-byte aligned, little-endian as on every machine we run).
 * Written and read as a stream of pieces, never as one buffer: a snapshot passes 2 GiB at about
 * 110 M listens, where one Buffer or fs.readFile stops.
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

/** Pieces handed on at most this size: an upload cuts parts from them without copying a whole array. */
const PIECE_BYTES = 8 * 1024 * 1024;

export interface EncodedBinary {
  /** the file's bytes, in order; each call starts again from the beginning */
  pieces(): Generator<Uint8Array>;
  bytes: number;
}

export function encodeBinary<Meta>(meta: Meta, arrays: Arrays): EncodedBinary {
  const entries: Header<Meta>["arrays"] = [];
  // Offsets are from the start of the data area, so the header's own length does not move them.
  let offset = 0;
  for (const [name, array] of Object.entries(arrays)) {
    entries.push({ name, kind: array.constructor.name as Kind, offset, length: array.length });
    offset = align8(offset + array.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta, arrays: entries } satisfies Header<Meta>));
  const dataStart = align8(MAGIC.length + 4 + header.length);
  const head = Buffer.alloc(dataStart);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(header.length, MAGIC.length);
  header.copy(head, MAGIC.length + 4);
  return {
    bytes: dataStart + offset,
    *pieces() {
      yield head;
      let written = 0;
      for (const entry of entries) {
        const array = arrays[entry.name]!;
        const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
        for (let at = 0; at < view.length; at += PIECE_BYTES) yield view.subarray(at, at + PIECE_BYTES);
        written = entry.offset + array.byteLength;
        const padding = align8(written) - written;
        if (padding > 0) yield new Uint8Array(padding);
      }
    },
  };
}

function sharedArray(kind: Kind, length: number): Float32Array | Float64Array | Int32Array {
  const buffer = new SharedArrayBuffer(length * KINDS[kind].BYTES_PER_ELEMENT);
  if (kind === "Float32Array") return new Float32Array(buffer);
  return kind === "Float64Array" ? new Float64Array(buffer) : new Int32Array(buffer);
}

/** Takes a file's bytes as they come and fills each array in place, so the arrays are the only copy. */
class BinaryReader<Meta> {
  /** arrays in SharedArrayBuffers, which worker threads read without a copy */
  constructor(private readonly shared = false) {}
  private head: Buffer[] = [];
  private headBytes = 0;
  private position = 0;
  private dataStart = -1;
  private header: Header<Meta> | null = null;
  private targets: { start: number; bytes: Uint8Array }[] = [];
  private next = 0;
  readonly arrays: Arrays = {};

  take(chunk: Uint8Array): void {
    let rest = chunk;
    if (!this.header) {
      rest = this.takeHead(rest);
      if (!this.header) return;
    }
    const from = this.position;
    const to = from + rest.length;
    while (this.next < this.targets.length) {
      const target = this.targets[this.next]!;
      const targetEnd = target.start + target.bytes.length;
      const start = Math.max(from, target.start);
      const end = Math.min(to, targetEnd);
      if (end > start) target.bytes.set(rest.subarray(start - from, end - from), start - target.start);
      if (targetEnd > to) break;
      this.next++;
    }
    this.position = to;
  }

  /** Gathers the magic, length and header; returns what of `chunk` lies past the header's padding. */
  private takeHead(chunk: Uint8Array): Uint8Array {
    this.head.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.headBytes += chunk.length;
    // Joined only when enough has come: a header of 100 MB arrives in thousands of chunks.
    if (this.dataStart < 0 && this.headBytes >= MAGIC.length + 4) {
      const head = Buffer.concat(this.head);
      this.head = [head];
      if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error("not an Encore binary file");
      this.dataStart = align8(MAGIC.length + 4 + head.readUInt32LE(MAGIC.length));
    }
    if (this.dataStart < 0 || this.headBytes < this.dataStart) return chunk.subarray(chunk.length);
    const head = Buffer.concat(this.head);
    const headerLength = head.readUInt32LE(MAGIC.length);
    this.header = JSON.parse(head.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength).toString("utf8")) as Header<Meta>;
    for (const entry of this.header.arrays) {
      const array = this.shared ? sharedArray(entry.kind, entry.length) : new KINDS[entry.kind](entry.length);
      this.arrays[entry.name] = array;
      this.targets.push({ start: this.dataStart + entry.offset, bytes: new Uint8Array(array.buffer) });
    }
    this.head = [];
    this.position = this.dataStart;
    return chunk.subarray(chunk.length - (this.headBytes - this.dataStart));
  }

  finish(what: string): { meta: Meta; arrays: Arrays } {
    if (!this.header || this.next < this.targets.length) throw new Error(`${what} ends before its last array`);
    return { meta: this.header.meta, arrays: this.arrays };
  }
}

/** Reads an Encore binary file from a stream, refusing one whose bytes do not match `digest` (SHA-256). */
export async function decodeBinary<Meta>(stream: Readable, digest: string, what: string, shared = false): Promise<{ meta: Meta; arrays: Arrays }> {
  const hash = createHash("sha256");
  const reader = new BinaryReader<Meta>(shared);
  for await (const chunk of stream) {
    hash.update(chunk as Uint8Array);
    reader.take(chunk as Uint8Array);
  }
  const actual = hash.digest("hex");
  if (actual !== digest) throw new Error(`${what} is damaged: its SHA-256 is ${actual.slice(0, 12)}…, the registry expects ${digest.slice(0, 12)}…`);
  return reader.finish(what);
}

export function sha256(encoded: EncodedBinary): string {
  const hash = createHash("sha256");
  for (const piece of encoded.pieces()) hash.update(piece);
  return hash.digest("hex");
}

/** Stores `encoded` as `<folder>/<digest>.<ext>` (content-addressed, so a retry writes the same object); its location for the registry. */
export async function writeContentAddressed(
  store: ObjectStore,
  folder: string,
  ext: string,
  encoded: EncodedBinary,
): Promise<{ location: string; digest: string; bytes: number }> {
  // Hashed first, from memory, so the object is named by its digest without a copy or a rename in the store.
  const digest = sha256(encoded);
  const key = `${folder}/${digest}.${ext}`;
  await store.put(key, encoded.pieces());
  return { location: store.locate(key), digest, bytes: encoded.bytes };
}

/** Reads a content-addressed object back from its recorded location, refusing one whose bytes no longer match its digest. */
export async function readVerified<Meta>(
  store: ObjectStore,
  stored: { path: string; digest: string },
  { shared = false } = {},
): Promise<{ meta: Meta; arrays: Arrays }> {
  return decodeBinary<Meta>(await store.get(store.keyOf(stored.path)), stored.digest, stored.path, shared);
}
