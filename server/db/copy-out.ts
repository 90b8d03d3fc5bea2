import { to as copyTo } from "pg-copy-streams";
import type { Database } from "./client";

/**
 * Streams the rows of `query` (COPY's text format: tab-separated fields, one row per line) to
 * `onRow`, a chunk at a time: a result of any size passes without being held whole. Fields must
 * not need COPY's escapes (numbers, and text made of digits and commas).
 */
export async function copyOut(database: Database, query: string, onRow: (fields: string[]) => void): Promise<number> {
  const client = await database.pool.connect();
  let rows = 0;
  try {
    const stream = client.query(copyTo(`COPY (${query}) TO STDOUT`));
    let rest = "";
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = rest + chunk.toString("utf8");
      let start = 0;
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        onRow(text.slice(start, end).split("\t"));
        rows++;
        start = end + 1;
      }
      rest = text.slice(start);
    }
    if (rest !== "") throw new Error("COPY ended inside a row");
    return rows;
  } finally {
    client.release();
  }
}
