import type { Db } from "../db/client";

export const THROTTLE_WINDOW_MINUTES = 15;
/** Failures of one account from one address: that pair is blocked for the rest of the window. */
export const PAIR_MAX_FAILURES = 5;
/** Failures from one address across accounts (password spraying): the address is blocked. */
export const ADDRESS_MAX_FAILURES = 50;
/** Failures of one account from anywhere before each further try from a new address must wait. */
export const ACCOUNT_FREE_FAILURES = 10;
export const ACCOUNT_MAX_DELAY_SECONDS = 300;
/** An address the account signed in from this recently is never delayed by failures elsewhere. */
const KNOWN_ADDRESS_DAYS = 30;

export class SignInThrottledError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    who: string,
  ) {
    const wait = retryAfterSeconds >= 90 ? `${Math.ceil(retryAfterSeconds / 60)} minutes` : `${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}`;
    super(`Too many failed sign-ins ${who}. Try again in ${wait}.`);
    this.name = "SignInThrottledError";
  }
}

/** The wait after `failures` failures of one account: none up to ACCOUNT_FREE_FAILURES, then doubling from 1 s. */
export function accountDelaySeconds(failures: number): number {
  if (failures < ACCOUNT_FREE_FAILURES) return 0;
  return Math.min(ACCOUNT_MAX_DELAY_SECONDS, 2 ** (failures - ACCOUNT_FREE_FAILURES));
}

interface Counts {
  pair: number;
  pair_oldest: Date | null;
  address: number;
  address_oldest: Date | null;
  account: number;
  account_latest: Date | null;
  known_address: boolean;
}

/**
 * Checks the limits and, when the try may go ahead, records it as failed until `recordSuccess` says
 * otherwise. Check and record happen under per-account and per-address locks in one transaction,
 * so concurrent tries are counted one after another. Returns the attempt's id; throws when throttled.
 *
 * An attacker can block only their own address, and can slow an account down only for addresses it
 * has not signed in from: the real user's usual address always gets through.
 */
export async function reserveSignInAttempt(db: Db, email: string, ip: string, now = new Date()): Promise<bigint> {
  const since = new Date(now.getTime() - THROTTLE_WINDOW_MINUTES * 60_000);
  const knownSince = new Date(now.getTime() - KNOWN_ADDRESS_DAYS * 86_400_000);
  return db.$transaction(async (tx) => {
    // Always the account first, then the address: no two tries wait on each other in a cycle.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sign-in:account:${email}`}))`;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sign-in:address:${ip}`}))`;
    const [c] = await tx.$queryRaw<Counts[]>`
      SELECT count(*) FILTER (WHERE email = ${email} AND ip = ${ip} AND NOT succeeded AND at > ${since})::int AS pair,
             min(at) FILTER (WHERE email = ${email} AND ip = ${ip} AND NOT succeeded AND at > ${since}) AS pair_oldest,
             (SELECT count(*)::int FROM sign_in_attempts WHERE ip = ${ip} AND NOT succeeded AND at > ${since}) AS address,
             (SELECT min(at) FROM sign_in_attempts WHERE ip = ${ip} AND NOT succeeded AND at > ${since}) AS address_oldest,
             count(*) FILTER (WHERE NOT succeeded AND at > ${since})::int AS account,
             max(at) FILTER (WHERE NOT succeeded AND at > ${since}) AS account_latest,
             coalesce(bool_or(succeeded AND ip = ${ip} AND at > ${knownSince}), false) AS known_address
        FROM sign_in_attempts WHERE email = ${email} AND at > ${knownSince}`;
    const secondsUntil = (at: number) => Math.max(1, Math.ceil((at - now.getTime()) / 1000));
    const windowEnd = (oldest: Date | null) => (oldest?.getTime() ?? now.getTime()) + THROTTLE_WINDOW_MINUTES * 60_000;
    if (c!.pair >= PAIR_MAX_FAILURES) throw new SignInThrottledError(secondsUntil(windowEnd(c!.pair_oldest)), "for this account from your address");
    if (c!.address >= ADDRESS_MAX_FAILURES) throw new SignInThrottledError(secondsUntil(windowEnd(c!.address_oldest)), "from your address");
    const delay = accountDelaySeconds(c!.account);
    if (delay > 0 && !c!.known_address && c!.account_latest) {
      const allowedAt = c!.account_latest.getTime() + delay * 1000;
      if (allowedAt > now.getTime()) throw new SignInThrottledError(secondsUntil(allowedAt), "for this account");
    }
    const attempt = await tx.signInAttempt.create({ data: { email, ip, succeeded: false, at: now }, select: { id: true } });
    return attempt.id;
  });
}

export function recordSuccess(db: Db, attemptId: bigint) {
  return db.signInAttempt.update({ where: { id: attemptId }, data: { succeeded: true } });
}
