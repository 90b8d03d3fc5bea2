import NextAuth from "next-auth";
import { authOptions } from "@/server/auth/options";
import { keepSessionWhileUnavailable } from "@/server/auth/session-route";

const nextAuth = NextAuth(authOptions);

async function handler(request: Request, context: { params: Promise<{ nextauth: string[] }> }) {
  return keepSessionWhileUnavailable(request, await nextAuth(request, context));
}

export { handler as GET, handler as POST };
