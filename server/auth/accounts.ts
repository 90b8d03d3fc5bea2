import { DomainError } from "../domain/errors";
import type { Db } from "../db/client";
import type { Role } from "../db/generated/enums";
import { Prisma } from "../db/generated/client";
import { recordAudit } from "../audit/log";
import { generatePassword, hashPassword, verifyPassword } from "./password";
import { normaliseEmail } from "./authenticate";
import { endSessionsOf } from "./sessions";

export interface Actor {
  id: number;
  email: string;
  ip?: string;
}

export const operatorPublicFields = {
  id: true,
  email: true,
  name: true,
  role: true,
  disabled: true,
  lastSignInAt: true,
  createdAt: true,
} satisfies Prisma.OperatorSelect;

export function listOperators(db: Db) {
  return db.operator.findMany({ select: operatorPublicFields, orderBy: { email: "asc" } });
}

export async function createOperator(db: Db, actor: Actor | null, input: { email: string; name: string; role: Role; password: string }) {
  const email = normaliseEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.$transaction(async (tx) => {
      const operator = await tx.operator.create({
        data: { email, name: input.name.trim(), role: input.role, passwordHash },
        select: operatorPublicFields,
      });
      await recordAudit(tx, {
        action: "account.create",
        actorId: actor?.id,
        actorEmail: actor?.email,
        ip: actor?.ip,
        target: email,
        detail: { role: input.role },
      });
      return operator;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new DomainError("CONFLICT", `An account for ${email} already exists.`);
    }
    throw error;
  }
}

/** Refuses a change that would leave no enabled admin, so the console can always be administered. */
async function assertAnotherAdminRemains(tx: Prisma.TransactionClient, operatorId: number) {
  // Row locks on the admins make two concurrent demotions see each other.
  const admins = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM operators WHERE role = 'admin' AND NOT disabled FOR UPDATE`;
  if (admins.every((a) => a.id === operatorId)) {
    throw new DomainError("PRECONDITION_FAILED", "This is the last enabled admin; make another admin first.");
  }
}

async function updateOperator(db: Db, actor: Actor, operatorId: number, change: { role?: Role; disabled?: boolean }, action: string) {
  return db.$transaction(async (tx) => {
    const before = await tx.operator.findUnique({ where: { id: operatorId } });
    if (!before) throw new DomainError("NOT_FOUND", `No account with id ${operatorId}.`);
    const losesAdmin = before.role === "admin" && !before.disabled && (change.disabled === true || (change.role !== undefined && change.role !== "admin"));
    if (losesAdmin) await assertAnotherAdminRemains(tx, operatorId);
    const after = await tx.operator.update({ where: { id: operatorId }, data: change, select: operatorPublicFields });
    if (after.disabled && !before.disabled) await endSessionsOf(tx, operatorId, "disabled");
    if (after.role !== before.role) await endSessionsOf(tx, operatorId, "role_change");
    await recordAudit(tx, {
      action,
      actorId: actor.id,
      actorEmail: actor.email,
      ip: actor.ip,
      target: before.email,
      detail: { from: { role: before.role, disabled: before.disabled }, to: { role: after.role, disabled: after.disabled } },
    });
    return after;
  });
}

export const changeRole = (db: Db, actor: Actor, operatorId: number, role: Role) => updateOperator(db, actor, operatorId, { role }, "account.role_change");

export const setDisabled = (db: Db, actor: Actor, operatorId: number, disabled: boolean) =>
  updateOperator(db, actor, operatorId, { disabled }, disabled ? "account.disable" : "account.enable");

export async function resetPassword(db: Db, actor: Actor, operatorId: number, password: string) {
  const passwordHash = await hashPassword(password);
  return db.$transaction(async (tx) => {
    const found = await tx.operator.findUnique({ where: { id: operatorId }, select: { id: true } });
    if (!found) throw new DomainError("NOT_FOUND", `No account with id ${operatorId}.`);
    const operator = await tx.operator.update({ where: { id: operatorId }, data: { passwordHash }, select: operatorPublicFields });
    await endSessionsOf(tx, operatorId, "password_reset");
    await recordAudit(tx, { action: "account.password_reset", actorId: actor.id, actorEmail: actor.email, ip: actor.ip, target: operator.email });
    return operator;
  });
}

export type FirstAdmin = { status: "exists" } | { status: "created"; email: string; generatedPassword?: string };

/**
 * Creates the first admin when there is no account at all. The password comes from ADMIN_PASSWORD,
 * or is generated and returned once for the caller to show; it is never stored in clear.
 */
export async function ensureFirstAdmin(db: Db, config: { email?: string; password?: string }): Promise<FirstAdmin> {
  if ((await db.operator.count()) > 0) return { status: "exists" };
  const email = normaliseEmail(config.email ?? "admin@encore.local");
  const generatedPassword = config.password ? undefined : generatePassword();
  const password = config.password ?? generatedPassword!;
  await createOperator(db, null, { email, name: "Administrator", role: "admin", password });
  return { status: "created", email, generatedPassword };
}

/** A wrong current password: the change is refused and nothing else happens. */
export class WrongPasswordError extends DomainError {
  constructor() {
    super("BAD_REQUEST", "The current password is not right.");
    this.name = "WrongPasswordError";
  }
}

/**
 * An operator sets their own password, proving the current one. Every other session of theirs ends
 * (a stolen cookie stops working); `keepSessionId`, the one asking, stays signed in.
 */
export async function changeOwnPassword(db: Db, actor: Actor, keepSessionId: string | null, passwords: { current: string; next: string }) {
  const stored = await db.operator.findUnique({ where: { id: actor.id }, select: { passwordHash: true } });
  if (!stored || !(await verifyPassword(passwords.current, stored.passwordHash))) {
    await recordAudit(db, { action: "account.password_change_refused", actorId: actor.id, actorEmail: actor.email, ip: actor.ip, target: actor.email });
    throw new WrongPasswordError();
  }
  const passwordHash = await hashPassword(passwords.next);
  return db.$transaction(async (tx) => {
    await tx.operator.update({ where: { id: actor.id }, data: { passwordHash } });
    const ended = await tx.operatorSession.updateMany({
      where: { operatorId: actor.id, endedAt: null, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) },
      data: { endedAt: new Date(), endReason: "password_change" },
    });
    await recordAudit(tx, {
      action: "account.password_change",
      actorId: actor.id,
      actorEmail: actor.email,
      ip: actor.ip,
      target: actor.email,
      detail: { otherSessionsEnded: ended.count },
    });
    return { otherSessionsEnded: ended.count };
  });
}
