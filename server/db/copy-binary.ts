// PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4)
// for rows of integers, timestamps and integer arrays: read and written straight from and to bytes, so
// millions of rows pass without a JavaScript object or string per row or per array element.

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const INT4_OID = 23;
/** 2^32, to join and split the two halves of an int8 exactly (microseconds fit a double's 53 bits) */
const HALF = 2 ** 32;

/** One row of a binary COPY, its fields read in place. */
export class BinaryRow {
  buffer: Buffer = Buffer.alloc(0);
  private offsets = new Int32Array(8);
  private lengths = new Int32Array(8);
  fields = 0;
  /** the elements of the last int4Array read */
  ints = new Int32Array(64);

  /** Reads the row's field bounds at `at`; the row's end, or -1 when the buffer holds only part of it. */
  locate(buffer: Buffer, at: number): number {
    this.buffer = buffer;
    if (at + 2 > buffer.length) return -1;
    const fields = buffer.readInt16BE(at);
    if (fields === -1) return -2;
    if (fields > this.offsets.length) {
      this.offsets = new Int32Array(fields);
      this.lengths = new Int32Array(fields);
    }
    let p = at + 2;
    for (let f = 0; f < fields; f++) {
      if (p + 4 > buffer.length) return -1;
      const length = buffer.readInt32BE(p);
      p += 4;
      this.offsets[f] = p;
      this.lengths[f] = length;
      if (length > 0) p += length;
      if (p > buffer.length) return -1;
    }
    this.fields = fields;
    return p;
  }

  isNull(field: number): boolean {
    return this.lengths[field] === -1;
  }

  int4(field: number): number {
    return this.buffer.readInt32BE(this.offsets[field]!);
  }

  bool(field: number): boolean {
    return this.buffer[this.offsets[field]!] === 1;
  }

  /** A timestamp(tz) as microseconds since 2000-01-01 UTC. */
  timestamp(field: number): number {
    const at = this.offsets[field]!;
    return this.buffer.readInt32BE(at) * HALF + this.buffer.readUInt32BE(at + 4);
  }

  /** Reads a one-dimensional int4[] (NULL and empty: none) into `ints`, reused by the next call; how many elements. */
  int4Array(field: number): number {
    if (this.isNull(field)) return 0;
    let p = this.offsets[field]!;
    const dimensions = this.buffer.readInt32BE(p);
    if (dimensions === 0) return 0;
    if (dimensions !== 1 || this.buffer.readInt32BE(p + 8) !== INT4_OID) throw new Error("expected a one-dimensional int4[]");
    const count = this.buffer.readInt32BE(p + 12);
    if (count > this.ints.length) this.ints = new Int32Array(count * 2);
    p += 20;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const length = this.buffer.readInt32BE(p);
      p += 4;
      if (length === -1) continue;
      this.ints[n++] = this.buffer.readInt32BE(p);
      p += 4;
    }
    return n;
  }
}

/**
 * Calls `onRow` for each row of a binary COPY's output, chunk by chunk, and `afterChunk` (to write
 * what the rows made, say) after each chunk; the number of rows.
 */
export async function readBinaryCopy(
  stream: AsyncIterable<Buffer> | Iterable<Buffer>,
  onRow: (row: BinaryRow) => void,
  afterChunk: () => Promise<void> = async () => {},
): Promise<number> {
  const row = new BinaryRow();
  let rest: Buffer | null = null;
  let headerRead = false;
  let ended = false;
  let rows = 0;
  for await (const chunk of stream) {
    const buffer: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    if (!headerRead) {
      if (buffer.length < SIGNATURE.length + 8) {
        rest = buffer;
        continue;
      }
      if (!buffer.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error("not a binary COPY");
      at = SIGNATURE.length + 8 + buffer.readInt32BE(SIGNATURE.length + 4);
      headerRead = true;
    }
    for (;;) {
      const end = row.locate(buffer, at);
      if (end === -2) {
        ended = true;
        at += 2;
        break;
      }
      if (end === -1) break;
      onRow(row);
      rows++;
      at = end;
    }
    rest = at < buffer.length ? buffer.subarray(at) : null;
    await afterChunk();
  }
  if (!ended || rest) throw new Error("COPY ended inside a row");
  return rows;
}

/** Builds a binary COPY's input in memory; `drain` hands what is built so far to `flush`. */
export class BinaryCopyWriter {
  private buffer = Buffer.alloc(1 << 20);
  private at = SIGNATURE.copy(this.buffer) + 8;

  constructor(private readonly flush: (chunk: Buffer) => Promise<void>) {}

  /** Bytes built and not drained yet. */
  get pending(): number {
    return this.at;
  }

  /** Starts a row of `fields` fields, first making room for `bytes` more (the row's whole size: rowBytes). */
  row(fields: number, bytes: number): void {
    if (this.at + 2 + bytes > this.buffer.length) {
      const larger = Buffer.alloc(Math.max(2 * this.buffer.length, this.at + 2 + bytes));
      this.buffer.copy(larger, 0, 0, this.at);
      this.buffer = larger;
    }
    this.at = this.buffer.writeInt16BE(fields, this.at);
  }

  int4(value: number): void {
    this.at = this.buffer.writeInt32BE(4, this.at);
    this.at = this.buffer.writeInt32BE(value, this.at);
  }

  /** A timestamp(tz) from microseconds since 2000-01-01 UTC. */
  timestamp(micros: number): void {
    const high = Math.floor(micros / HALF);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeInt32BE(high, this.at);
    this.at = this.buffer.writeUInt32BE(micros - high * HALF, this.at);
  }

  int4Array(values: ArrayLike<number>, count = values.length): void {
    if (count === 0) {
      this.at = this.buffer.writeInt32BE(12, this.at);
      for (const word of [0, 0, INT4_OID]) this.at = this.buffer.writeInt32BE(word, this.at);
      return;
    }
    this.at = this.buffer.writeInt32BE(20 + 8 * count, this.at);
    for (const word of [1, 0, INT4_OID, count, 1]) this.at = this.buffer.writeInt32BE(word, this.at);
    for (let i = 0; i < count; i++) {
      this.at = this.buffer.writeInt32BE(4, this.at);
      this.at = this.buffer.writeInt32BE(values[i]!, this.at);
    }
  }

  /** Bytes a row of these fields takes (`arrays`: element counts of its int4[] fields). */
  static rowBytes(int4s: number, timestamps: number, arrays: number[]): number {
    return int4s * 8 + timestamps * 12 + arrays.reduce((sum, n) => sum + 24 + 8 * n, 0);
  }

  /** Hands what is built so far to `flush`. */
  async drain(): Promise<void> {
    if (this.at === 0) return;
    await this.flush(Buffer.from(this.buffer.subarray(0, this.at)));
    this.at = 0;
  }

  /** Writes the trailer and hands over what is left. */
  async end(): Promise<void> {
    this.row(-1, 0);
    await this.drain();
  }
}
