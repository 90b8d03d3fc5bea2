import { isDatabaseUnavailable } from "../db/unavailable";
import { SignInThrottledError } from "./throttle";

/** What the sign-in form may show for a failed sign-in (next-auth puts the message in the answer's URL). */
export function signInError(error: unknown): Error {
  if (error instanceof SignInThrottledError) return error;
  if (isDatabaseUnavailable(error)) return new Error("Encore cannot reach its database; try signing in again shortly.");
  return error instanceof Error ? error : new Error(String(error));
}
