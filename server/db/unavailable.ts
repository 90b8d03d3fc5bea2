// No imports: client components (error boundaries) read DATABASE_UNAVAILABLE from here.

/** The code and Next.js digest of a DatabaseUnavailableError. */
export const DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE";

/** Socket failures: nothing listens, the connection was cut, or the host cannot be reached. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);
/** Prisma's: cannot reach the server, timed out connecting, server closed the connection, no pooled connection in time. */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1017", "P2024"]);
/** @prisma/adapter-pg's names for the same. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** SQLSTATE: admin shutdown, crash shutdown, cannot connect now (starting or stopping), too many connections. */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/**
 * Whether `error` (from pg, Prisma or its pg adapter) says the database cannot be reached now (down,
 * restarting, refusing connections) rather than that a query was wrong. Matched on codes, not
 * classes: Prisma's error classes can come from another copy of the module.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 4) return false;
  const { code, severity, kind, message, meta, cause } = error as Record<string, unknown>;
  if (code === DATABASE_UNAVAILABLE) return true;
  if (typeof code === "string" && (SOCKET_CODES.has(code) || PRISMA_CODES.has(code) || SQLSTATES.has(code) || code.startsWith("08"))) return true;
  // FATAL ends the session: the server refused or dropped the connection (e.g. a database not accepting connections).
  if (severity === "FATAL" || (typeof kind === "string" && ADAPTER_KINDS.has(kind))) return true;
  // pg reports a connection ended under it with no code.
  if (typeof message === "string" && /Connection terminated/.test(message)) return true;
  const adapterError = (meta as { driverAdapterError?: { cause?: unknown } } | undefined)?.driverAdapterError;
  return isDatabaseUnavailable(adapterError?.cause, depth + 1) || isDatabaseUnavailable(cause, depth + 1);
}

/** Thrown where a request needs the database and cannot reach it; `digest` lets a Next.js error boundary tell it apart. */
export class DatabaseUnavailableError extends Error {
  readonly code = DATABASE_UNAVAILABLE;
  readonly digest = DATABASE_UNAVAILABLE;
  constructor(options?: { cause?: unknown }) {
    super("The database cannot be reached; try again shortly.", options);
    this.name = "DatabaseUnavailableError";
  }
}
