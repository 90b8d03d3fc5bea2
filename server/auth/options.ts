import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { db as processDb, type Db } from "../db/client";
import type { Role } from "../db/generated/enums";
import { recordAudit } from "../audit/log";
import { isDatabaseUnavailable } from "../db/unavailable";
import { authenticate } from "./authenticate";
import { safeCallbackUrl } from "./callback-url";
import { clientIp } from "./client-ip";
import { signInError } from "./sign-in-errors";
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
    /** Set when the session could not be checked because the database is unreachable: no user, cookie kept. */
    databaseUnavailable?: boolean;
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
    /** Set when the last check could not reach the database; cleared by the next check that does. */
    databaseUnavailable?: boolean;
  }
}

/** RFC 5321's longest address; the password bound keeps scrypt's input small. */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_PASSWORD_LENGTH = 1024;

const credentialsSchema = z.object({
  email: z.string().min(1).max(MAX_EMAIL_LENGTH, `An e-mail address has at most ${MAX_EMAIL_LENGTH} characters.`),
  password: z
    .string()
    .min(1)
    .max(MAX_PASSWORD_LENGTH, `A password has at most ${MAX_PASSWORD_LENGTH.toLocaleString("en")} characters.`),
});

export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

/** next-auth's configuration over `db`: the process's database in the app, a test's own in tests. */
export const createAuthOptions = (db: Db): NextAuthOptions => ({
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin", error: "/signin" },
  providers: [
    CredentialsProvider({
      name: "E-mail and password",
      credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const parsed = credentialsSchema.safeParse(credentials);
        if (!parsed.success) {
          // Too long is refused by name, before any lookup or hashing; a missing field reads as a wrong pair.
          const tooLong = parsed.error.issues.find((issue) => issue.code === "too_big");
          if (tooLong) throw new Error(tooLong.message);
          return null;
        }
        const ip = clientIp(req.headers ?? {});
        // A thrown error's message reaches the sign-in form (next-auth puts it in the answer): only words meant for it.
        const operator = await authenticate(db, { ...parsed.data, ip }).catch((error: unknown) => {
          throw signInError(error);
        });
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
      let operator: Awaited<ReturnType<typeof liveSession>>;
      try {
        operator = token.sessionId ? await liveSession(db, token.sessionId) : null;
      } catch (error) {
        // next-auth clears the cookie when this throws: an outage would sign everyone out. The cookie is
        // kept but grants nothing (the session callback gives no user) until a check reaches the database.
        if (!isDatabaseUnavailable(error)) throw error;
        console.error(`[encore] session check: the database cannot be reached: ${error instanceof Error ? error.message.split("\n").at(-1) : String(error)}`);
        return { ...token, databaseUnavailable: true };
      }
      if (!operator || operator.operatorId !== token.operatorId) return { ...token, revoked: true, databaseUnavailable: false };
      return { ...token, email: operator.email, name: operator.name, role: operator.role, revoked: false, databaseUnavailable: false };
    },
    // Only this console's own paths, whatever a link asked for.
    redirect({ url, baseUrl }) {
      const target = new URL(url, baseUrl);
      return target.origin === new URL(baseUrl).origin ? `${baseUrl}${safeCallbackUrl(target.pathname + target.search)}` : baseUrl;
    },
    async session({ session, token }) {
      if (token.databaseUnavailable) return { expires: session.expires, databaseUnavailable: true };
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
});

export const authOptions = createAuthOptions(processDb);
