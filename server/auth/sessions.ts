import { randomBytes } from "node:crypto";
import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/client";

export type SessionEndReason = "sign_out" | "password_reset" | "password_change" | "disabled" | "role_change";

/** A new session of `operatorId`; its id goes into the JWT cookie. */
export async function startSession(db: Db, operatorId: number, maxAgeSeconds: number): Promise<string> {
  const id = randomBytes(24).toString("base64url");
  await db.operatorSession.create({ data: { id, operatorId, expiresAt: new Date(Date.now() + maxAgeSeconds * 1000) } });
  return id;
}

/** The operator behind a live session, or null when it ended, expired or never existed. */
export async function liveSession(db: Db, sessionId: string) {
  const session = await db.operatorSession.findUnique({
    where: { id: sessionId },
    select: { operatorId: true, endedAt: true, expiresAt: true, operator: { select: { email: true, name: true, role: true, disabled: true } } },
  });
  if (!session || session.endedAt || session.expiresAt <= new Date() || session.operator.disabled) return null;
  return { operatorId: session.operatorId, ...session.operator };
}

export function endSession(db: Db, sessionId: string, reason: SessionEndReason) {
  return db.operatorSession.updateMany({ where: { id: sessionId, endedAt: null }, data: { endedAt: new Date(), endReason: reason } });
}

/** Ends every open session of an operator (in the caller's transaction when given one). */
export function endSessionsOf(db: Db | Prisma.TransactionClient, operatorId: number, reason: SessionEndReason) {
  return db.operatorSession.updateMany({ where: { operatorId, endedAt: null }, data: { endedAt: new Date(), endReason: reason } });
}
