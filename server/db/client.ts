import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

export function createDb(connectionString: string): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
}

// One client per process; kept on globalThis so hot reload in development does not open a new pool each time.
const globalForDb = globalThis as unknown as { encoreDb?: Db };

export const db: Db = (globalForDb.encoreDb ??= createDb(process.env.DATABASE_URL ?? ""));
