import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { db } from "../db/client";
import type { Role } from "../db/generated/enums";
import { recordAudit } from "../audit";
import { authenticate } from "./authenticate";
import { clientIp } from "./client-ip";

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
        return token;
      }
      if (token.operatorId === undefined) return token;
      // Re-read on every request so role changes and disabled accounts take effect at once.
      const operator = await db.operator.findUnique({
        where: { id: token.operatorId },
        select: { email: true, name: true, role: true, disabled: true },
      });
      if (!operator || operator.disabled) return { ...token, revoked: true };
      return { ...token, email: operator.email, name: operator.name, role: operator.role, revoked: false };
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
      if (token?.operatorId !== undefined) {
        await recordAudit(db, { action: "auth.sign_out", actorId: token.operatorId, actorEmail: token.email });
      }
    },
  },
};
