import { getServerSession } from "next-auth";
import { DatabaseUnavailableError } from "../db/unavailable";
import { authOptions, type SessionUser } from "./options";

/**
 * The signed-in operator of the current request, or null. For Server Components and route handlers.
 * Throws DatabaseUnavailableError when the session cannot be checked: not signed out, just not now.
 */
export async function currentOperator(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  if (session?.databaseUnavailable) throw new DatabaseUnavailableError();
  return session?.user ?? null;
}
