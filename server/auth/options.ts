import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { db } from "../db/client";
import type { Role } from "../db/generated/enums";
import { recordAudit } from "../audit";
import { authenticate } from "./authenticate";
import { safeCallbackUrl } from "./callback-url";
import { clientIp } from "./client-ip";
import { endSession, liveSession, startSession } from "./sessions";

export interface SessionUser {
  id: number;
  email: string;
  name: string;
  role: Role;
}

declare module "next-auth" {
  interface Session {
    /** Absent when the account was disabled or removed since sign-in. */
    user?: SessionUser;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    operatorId?: number;
    /** the row in operator_sessions this cookie stands for */
    sessionId?: string;
    role?: Role;
    /** Set when the account was disabled or removed after sign-in. */
    revoked?: boolean;
  }
}

const credentialsSchema = z.object({ email: z.string().min(1), password: z.string().min(1) });

export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin", error: "/signin" },
  providers: [
    CredentialsProvider({
      name: "E-mail and password",
      credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const parsed = credentialsSchema.safeParse(credentials);
        if (!parsed.success) return null;
        const ip = clientIp(req.headers ?? {});
        // A throttled sign-in throws; next-auth hands its message to the sign-in page.
        const operator = await authenticate(db, { ...parsed.data, ip });
        if (!operator) return null;
        return { id: String(operator.id), email: operator.email, name: operator.name, role: operator.role };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.operatorId = Number(user.id);
        token.sessionId = await startSession(db, token.operatorId, SESSION_MAX_AGE_SECONDS);
        return token;
      }
      if (token.operatorId === undefined) return token;
      // Re-read on every request: an ended session (sign-out, password reset, disabling, role change) is refused at once.
      const operator = token.sessionId ? await liveSession(db, token.sessionId) : null;
      if (!operator || operator.operatorId !== token.operatorId) return { ...token, revoked: true };
      return { ...token, email: operator.email, name: operator.name, role: operator.role, revoked: false };
    },
    // Only this console's own paths, whatever a link asked for.
    redirect({ url, baseUrl }) {
      const target = new URL(url, baseUrl);
      return target.origin === new URL(baseUrl).origin ? `${baseUrl}${safeCallbackUrl(target.pathname + target.search)}` : baseUrl;
    },
    async session({ session, token }) {
      if (token.revoked || token.operatorId === undefined || !token.role) {
        return { expires: session.expires };
      }
      session.user = { id: token.operatorId, email: token.email ?? "", name: token.name ?? "", role: token.role };
      return session;
    },
  },
  events: {
    async signOut({ token }) {
      if (token?.sessionId) await endSession(db, token.sessionId, "sign_out");
      if (token?.operatorId !== undefined) {
        await recordAudit(db, { action: "auth.sign_out", actorId: token.operatorId, actorEmail: token.email });
      }
    },
  },
};
