import type pg from "pg";

/** Ids read from the database per query: what one result holds at a time. */
const PAGE = 100_000;

/**
 * The ids of a table, sorted in an Int32Array: 4 bytes an id where a Set<number> takes about 20 and
 * the rows of one query result more again, so listen_history's task stays small however large the
 * catalogue. Read in pages of PAGE ids by keyset.
 */
export class IdSet {
  private constructor(private readonly ids: Int32Array) {}

  static async of(pool: pg.Pool, table: "tracks" | "users", page = PAGE): Promise<IdSet> {
    let ids = new Int32Array(page);
    let size = 0;
    for (let after: number | null = null; ; ) {
      const result: pg.QueryResult<{ ids: number[] }> = await pool.query(
        `SELECT coalesce(array_agg(id ORDER BY id), '{}') AS ids FROM (SELECT id FROM ${table} WHERE $1::int IS NULL OR id > $1 ORDER BY id LIMIT $2) p`,
        [after, page],
      );
      const got = result.rows[0]!.ids;
      if (size + got.length > ids.length) {
        const grown = new Int32Array(Math.max(ids.length * 2, size + got.length));
        grown.set(ids.subarray(0, size));
        ids = grown;
      }
      ids.set(got, size);
      size += got.length;
      if (got.length < page) return new IdSet(ids.slice(0, size));
      after = got[got.length - 1]!;
    }
  }

  has(id: number): boolean {
    let low = 0;
    let high = this.ids.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.ids[middle]!;
      if (value === id) return true;
      if (value < id) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}
