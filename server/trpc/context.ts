import { database } from "../db/client";
import { isDatabaseUnavailable } from "../db/unavailable";
import { clientIp } from "../auth/client-ip";
import { currentOperator } from "../auth/session";
import { databaseUnavailable, type Context } from "./init";

export async function createContext(headers: Headers): Promise<Context> {
  const operator = await currentOperator().catch((error: unknown) => {
    // A session that cannot be checked is neither signed in nor out: 503, and the caller keeps its cookie.
    if (isDatabaseUnavailable(error)) throw databaseUnavailable(error);
    throw error;
  });
  return { db: database.db, database, operator, ip: clientIp(headers), authorization: headers.get("authorization") };
}
