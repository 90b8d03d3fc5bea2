import { getServerSession } from "next-auth";
import { authOptions, type SessionUser } from "./options";

/** The signed-in operator of the current request, or null. For Server Components and route handlers. */
export async function currentOperator(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  return session?.user ?? null;
}
