import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

/** Prisma for typed queries and the same pg pool for set-based SQL (bulk upserts), sharing connections. */
export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createDatabase(connectionString: string, maxConnections = 10): Database {
  // UTC sessions: the source's timestamps carry no zone and mean UTC, and day buckets are UTC days.
  // Idle connections live 5 minutes, not pg's 10 s: a web process under steady load otherwise closes
  // and reopens backends as its concurrency wavers, each new one planning every named statement again.
  const pool = new pg.Pool({ connectionString, max: maxConnections, idleTimeoutMillis: 300_000, options: "-c TimeZone=UTC" });
  // An idle connection the server ends (a restart, a dropped database) is replaced on next use; unhandled, its error would end the process.
  pool.on("error", (error) => console.error(`[encore] an idle database connection was closed: ${error.message}`));
  // A connection lost while checked out reports it to whoever holds it on their next query; unheard
  // here, the event would end the process (a web server, the scheduler) instead.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const db = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    db,
    pool,
    async close() {
      await db.$disconnect();
      await pool.end();
    },
  };
}

// One per process; kept on globalThis so hot reload in development does not open a new pool each time.
const globalForDb = globalThis as unknown as { encoreDatabase?: Database };

export const database: Database = (globalForDb.encoreDatabase ??= createDatabase(process.env.DATABASE_URL ?? ""));
export const db: Db = database.db;
