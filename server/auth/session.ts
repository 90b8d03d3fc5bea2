import { getServerSession } from "next-auth";
import { getToken } from "next-auth/jwt";
import { headers } from "next/headers";
import { NextRequest } from "next/server";
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

/** The id of the current request's session row (operator_sessions), read from its cookie; null without one. */
export async function currentSessionId(): Promise<string | null> {
  const token = await getToken({ req: new NextRequest("http://localhost/", { headers: await headers() }) });
  return token?.sessionId ?? null;
}
