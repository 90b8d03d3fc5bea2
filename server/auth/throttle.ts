import type { Db } from "../db/client";

export const THROTTLE_WINDOW_MINUTES = 15;
export const THROTTLE_MAX_FAILURES = 10;

export class SignInThrottledError extends Error {
  constructor(readonly retryAfterMinutes: number) {
    super(
      `Too many failed sign-ins for this account or address. Try again in ${retryAfterMinutes} minute${retryAfterMinutes === 1 ? "" : "s"}.`,
    );
    this.name = "SignInThrottledError";
  }
}

/** Throws when the account or the address has had too many failures inside the window. */
export async function assertNotThrottled(db: Db, email: string, ip: string, now = new Date()): Promise<void> {
  const since = new Date(now.getTime() - THROTTLE_WINDOW_MINUTES * 60_000);
  const rows = await db.$queryRaw<{ key: string; failures: bigint; oldest: Date }[]>`
    SELECT 'email' AS key, count(*) AS failures, min(at) AS oldest
      FROM sign_in_attempts WHERE email = ${email} AND NOT succeeded AND at > ${since}
    UNION ALL
    SELECT 'ip', count(*), min(at)
      FROM sign_in_attempts WHERE ip = ${ip} AND NOT succeeded AND at > ${since}`;
  const over = rows.filter((r) => Number(r.failures) >= THROTTLE_MAX_FAILURES);
  if (over.length === 0) return;
  const unlocksAt = Math.max(...over.map((r) => r.oldest.getTime())) + THROTTLE_WINDOW_MINUTES * 60_000;
  throw new SignInThrottledError(Math.max(1, Math.ceil((unlocksAt - now.getTime()) / 60_000)));
}

export function recordSignInAttempt(db: Db, email: string, ip: string, succeeded: boolean) {
  return db.signInAttempt.create({ data: { email, ip, succeeded } });
}
