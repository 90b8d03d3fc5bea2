import { randomBytes } from "node:crypto";
import { isDatabaseUnavailable } from "../db/unavailable";
import { SignInThrottledError } from "./throttle";

/**
 * What the sign-in form may show for a failed sign-in (next-auth puts the message in the answer's URL):
 * the throttle's own words, a database outage plainly, and for anything else the server's generic
 * message with an error id; the details (e.g. a database error's text) stay in the server log.
 */
export function signInError(error: unknown): Error {
  if (error instanceof SignInThrottledError) return error;
  if (isDatabaseUnavailable(error)) return new Error("Encore cannot reach its database; try signing in again shortly.");
  const errorId = randomBytes(6).toString("hex");
  console.error(`[error ${errorId}] sign-in failed:`, error);
  return new Error(`Something went wrong on the server (error id ${errorId}); it is in the server's log.`);
}
