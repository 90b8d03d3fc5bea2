import { database } from "../db/client";
import { clientIp } from "../auth/client-ip";
import { currentOperator } from "../auth/session";
import type { Context } from "./init";

export async function createContext(headers: Headers): Promise<Context> {
  return { db: database.db, database, operator: await currentOperator(), ip: clientIp(headers), authorization: headers.get("authorization") };
}
