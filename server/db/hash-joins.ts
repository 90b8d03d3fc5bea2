import type pg from "pg";
import { inTransaction } from "./transaction";

/**
 * One statement that matches every key of a read against a whole table, with nested loops off: the
 * planner takes unnest() over a row's key array for a few rows and probes an index once per key,
 * 4.7 s against a hash join's 2.0 s at 1 M histories.
 */
export function queryByHashJoins<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, params: unknown[]): Promise<pg.QueryResult<R>> {
  return inTransaction(pool, async (client) => {
    await client.query("SET LOCAL enable_nestloop = off");
    return client.query<R>(text, params);
  });
}
