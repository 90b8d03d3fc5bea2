import type { Role } from "../db/generated/enums";

export const ROLES = ["viewer", "operator", "admin"] as const satisfies readonly Role[];

/** Roles are ordered: each one can do what the roles before it can. */
export function hasRole(actual: Role, needed: Role): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(needed);
}
