import "server-only";
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import type { Role } from "../db/generated/enums";
import type { SessionUser } from "./options";
import { hasRole } from "./roles";
import { currentOperator } from "./session";

/** For console pages: the signed-in operator with at least `role`; otherwise sign-in, or 403. */
export async function requireOperator(role: Role = "viewer"): Promise<SessionUser> {
  const operator = await currentOperator();
  if (!operator) {
    const back = (await headers()).get("x-encore-path") ?? "/";
    redirect(`/signin?callbackUrl=${encodeURIComponent(back)}`);
  }
  if (!hasRole(operator.role, role)) forbidden();
  return operator;
}
