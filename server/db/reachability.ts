import pg from "pg";

/** Connects once; on failure throws one line naming the host and port and what to check. */
export async function assertDatabaseReachable(connectionString: string, timeoutMs = 5000): Promise<void> {
  const url = new URL(connectionString);
  const where = `${url.hostname}:${url.port || 5432}`;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot reach PostgreSQL at ${where} (${code ?? reason}); check DATABASE_URL and that the server is running.`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
