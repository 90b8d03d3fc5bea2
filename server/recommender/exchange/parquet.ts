import { createHash } from "node:crypto";
import { parquetMetadata, parquetRead, type SchemaElement } from "hyparquet";
import { ByteWriter, type ColumnSource, ParquetWriter } from "hyparquet-writer";
import type { ObjectStore } from "../../storage/store";

/** Schema elements for the columns exports and factor files use (Parquet's 3-level LIST layout, as Arrow and Spark write it). */
export const column = {
  int32: (name: string): SchemaElement => ({ name, type: "INT32", repetition_type: "REQUIRED" }),
  boolean: (name: string): SchemaElement => ({ name, type: "BOOLEAN", repetition_type: "REQUIRED" }),
  string: (name: string): SchemaElement => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" }),
  /** microseconds since the epoch, UTC: pandas reads datetime64[us, UTC], DuckDB TIMESTAMP WITH TIME ZONE */
  timestampUtc: (name: string): SchemaElement => ({
    name,
    type: "INT64",
    repetition_type: "REQUIRED",
    logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
  }),
  list: (name: string, element: SchemaElement): SchemaElement[] => [
    { name, repetition_type: "REQUIRED", converted_type: "LIST", logical_type: { type: "LIST" }, num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { ...element, name: "element" },
  ],
};

export const schemaOf = (columns: (SchemaElement | SchemaElement[])[]): SchemaElement[] => [
  { name: "schema", num_children: columns.length },
  ...columns.flat(),
];

export interface WrittenParquet {
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * Writes a Parquet file to the store one row group at a time: each batch of columns becomes a row
 * group, handed to the store as soon as it is encoded, so memory holds one batch, never the file.
 */
export async function putParquet(store: ObjectStore, key: string, schema: SchemaElement[], batches: Iterable<ColumnSource[]>): Promise<WrittenParquet> {
  const hash = createHash("sha256");
  let rows = 0;
  const writer = new ByteWriter();
  // Bytes the writer holds are taken after each row group; its offset keeps counting, as the footer's offsets need.
  const take = () => {
    const bytes = writer.getBytes().slice();
    writer.index = 0;
    hash.update(bytes);
    return bytes;
  };
  function* pieces(): Generator<Uint8Array> {
    const file = new ParquetWriter({ writer, schema, createdBy: "encore snapshot export" });
    for (const columns of batches) {
      const n = columns[0]?.data.length ?? 0;
      if (n === 0) continue;
      file.write({ columnData: columns, rowGroupSize: n });
      rows += n;
      yield take();
    }
    file.finish();
    yield take();
  }
  const { bytes } = await store.put(key, pieces());
  return { rows, bytes, sha256: hash.digest("hex") };
}

/** Thrown for a file that is not what the contract asks, with what is wrong and where. */
export class ParquetContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParquetContractError";
  }
}

/** A Parquet object's bytes, refused past `maxBytes` (read whole: Parquet's footer is at the end, and hyparquet reads by range). */
async function readBounded(store: ObjectStore, key: string, maxBytes: number): Promise<ArrayBuffer> {
  const stat = await store.stat(key);
  if (!stat) throw new ParquetContractError(`${store.locate(key)} does not exist`);
  if (stat.bytes > maxBytes) throw new ParquetContractError(`${store.locate(key)} is ${stat.bytes} bytes, more than the ${maxBytes} its rows can need`);
  const buffer = new ArrayBuffer(stat.bytes);
  const out = new Uint8Array(buffer);
  let at = 0;
  for await (const chunk of await store.get(key)) {
    const bytes = chunk as Uint8Array;
    if (at + bytes.length > out.length) throw new ParquetContractError(`${store.locate(key)} grew while it was read`);
    out.set(bytes, at);
    at += bytes.length;
  }
  if (at !== out.length) throw new ParquetContractError(`${store.locate(key)} ended after ${at} of its ${out.length} bytes`);
  return buffer;
}

/**
 * Reads the named columns of a Parquet object row group by row group, handing each group's rows
 * (as arrays in `columns` order) to `onRows`: only one group's values are ever JS objects.
 */
export async function readParquetRows(
  store: ObjectStore,
  key: string,
  columns: string[],
  maxBytes: number,
  onRows: (rows: unknown[][]) => void,
): Promise<{ rows: number }> {
  const buffer = await readBounded(store, key, maxBytes);
  const file = { byteLength: buffer.byteLength, slice: (start: number, end?: number) => buffer.slice(start, end) };
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new ParquetContractError(`${store.locate(key)} is not a Parquet file (${error instanceof Error ? error.message : String(error)})`);
  }
  const names = new Set(metadata.schema.slice(1).map((s) => s.name));
  const missing = columns.filter((c) => !names.has(c));
  if (missing.length) throw new ParquetContractError(`${store.locate(key)} has no column ${missing.join(", ")}`);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    await parquetRead({ file, metadata, columns, rowStart, rowEnd, onComplete: (rows) => onRows(rows as unknown[][]) });
    rowStart = rowEnd;
  }
  return { rows: rowStart };
}
