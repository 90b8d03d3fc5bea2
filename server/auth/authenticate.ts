import type { Db } from "../db/client";
import type { Operator } from "../db/generated/client";
import { recordAudit } from "../audit/log";
import { hashPassword, verifyPassword } from "./password";
import { recordSuccess, reserveSignInAttempt } from "./throttle";

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

// Verifying against a real hash for unknown accounts keeps response time from revealing which e-mails exist.
let decoyHash: Promise<string> | undefined;

/** Checks e-mail and password; records the attempt. Returns the operator, or null when the pair is wrong. */
export async function authenticate(db: Db, input: { email: string; password: string; ip: string; now?: Date }): Promise<Operator | null> {
  const email = normaliseEmail(input.email);
  // Recorded as a failure before the password is checked, so concurrent tries all count.
  const attemptId = await reserveSignInAttempt(db, email, input.ip, input.now);
  const operator = await db.operator.findUnique({ where: { email } });
  const valid = await verifyPassword(input.password, operator?.passwordHash ?? (await (decoyHash ??= hashPassword("decoy"))));
  const ok = valid && operator !== null && !operator.disabled;
  if (!ok) {
    await recordAudit(db, {
      action: "auth.sign_in_failed",
      actorId: operator?.id ?? null,
      actorEmail: email,
      ip: input.ip,
      detail: { reason: operator?.disabled ? "account disabled" : "wrong e-mail or password" },
    });
    return null;
  }
  await recordSuccess(db, attemptId);
  await recordAudit(db, { action: "auth.sign_in", actorId: operator.id, actorEmail: email, ip: input.ip });
  return db.operator.update({ where: { id: operator.id }, data: { lastSignInAt: new Date() } });
}
