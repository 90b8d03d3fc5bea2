import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { changeRole, createOperator, ensureFirstAdmin, setDisabled } from "./accounts";
import { authenticate } from "./authenticate";
import { verifyPassword } from "./password";
import { SignInThrottledError, THROTTLE_MAX_FAILURES } from "./throttle";

let database: TestDatabase;
/** The admin who makes the changes; created by the first test. */
let system: { id: number; email: string };
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("first admin", () => {
  it("is created once, with a generated password returned to show and only its hash stored", async () => {
    const first = await ensureFirstAdmin(database.db, {});
    expect(first.status).toBe("created");
    if (first.status !== "created" || !first.generatedPassword) throw new Error("expected a generated password");
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9]{24}$/);
    const stored = await database.db.operator.findUniqueOrThrow({ where: { email: first.email } });
    expect(stored.role).toBe("admin");
    expect(stored.passwordHash).not.toContain(first.generatedPassword);
    expect(await verifyPassword(first.generatedPassword, stored.passwordHash)).toBe(true);
    system = stored;
    expect(await ensureFirstAdmin(database.db, { email: "other@x.test", password: "another-password" })).toEqual({ status: "exists" });
  });
});

describe("authenticate", () => {
  it("accepts the right password, case-insensitively on the e-mail, and audits it", async () => {
    await createOperator(database.db, null, { email: "Ann@Example.test", name: "Ann", role: "operator", password: "ann-password-123" });
    const operator = await authenticate(database.db, { email: " ANN@example.test ", password: "ann-password-123", ip: "10.0.0.1" });
    expect(operator?.email).toBe("ann@example.test");
    expect(operator?.lastSignInAt).toBeInstanceOf(Date);
    const audit = await database.db.auditLog.findFirst({ where: { action: "auth.sign_in", actorEmail: "ann@example.test" } });
    expect(audit?.ip).toBe("10.0.0.1");
  });

  it("refuses a wrong password, an unknown account and a disabled one", async () => {
    expect(await authenticate(database.db, { email: "ann@example.test", password: "wrong", ip: "10.0.0.2" })).toBeNull();
    expect(await authenticate(database.db, { email: "nobody@example.test", password: "whatever", ip: "10.0.0.2" })).toBeNull();
    const bob = await createOperator(database.db, null, { email: "bob@example.test", name: "Bob", role: "viewer", password: "bob-password-123" });
    await setDisabled(database.db, system, bob.id, true);
    expect(await authenticate(database.db, { email: "bob@example.test", password: "bob-password-123", ip: "10.0.0.2" })).toBeNull();
    expect(await database.db.auditLog.count({ where: { action: "auth.sign_in_failed", ip: "10.0.0.2" } })).toBe(3);
  });

  it("throttles an account after too many failures, even with the right password, from any address", async () => {
    await createOperator(database.db, null, { email: "cy@example.test", name: "Cy", role: "viewer", password: "cy-password-1234" });
    for (let i = 0; i < THROTTLE_MAX_FAILURES; i++) {
      await authenticate(database.db, { email: "cy@example.test", password: "wrong", ip: `10.1.0.${i}` });
    }
    const attempt = authenticate(database.db, { email: "cy@example.test", password: "cy-password-1234", ip: "10.9.9.9" });
    await expect(attempt).rejects.toBeInstanceOf(SignInThrottledError);
    await expect(attempt).rejects.toThrow(/Too many failed sign-ins .* Try again in 15 minutes/);
  });

  it("throttles an address after too many failures across accounts", async () => {
    for (let i = 0; i < THROTTLE_MAX_FAILURES; i++) {
      await authenticate(database.db, { email: `guess${i}@example.test`, password: "wrong", ip: "10.2.0.1" });
    }
    await expect(authenticate(database.db, { email: "ann@example.test", password: "ann-password-123", ip: "10.2.0.1" })).rejects.toBeInstanceOf(
      SignInThrottledError,
    );
    expect(await authenticate(database.db, { email: "ann@example.test", password: "ann-password-123", ip: "10.2.0.2" })).not.toBeNull();
  });
});

describe("accounts", () => {
  it("refuses a duplicate e-mail with a clear message", async () => {
    await expect(
      createOperator(database.db, null, { email: "ANN@example.test", name: "Ann 2", role: "viewer", password: "ann-password-123" }),
    ).rejects.toThrow("An account for ann@example.test already exists.");
  });

  it("never leaves the console without an enabled admin, and audits role changes", async () => {
    const admins = await database.db.operator.findMany({ where: { role: "admin" } });
    expect(admins).toHaveLength(1);
    const only = admins[0]!;
    await expect(changeRole(database.db, system, only.id, "viewer")).rejects.toThrow(/last enabled admin/);
    await expect(setDisabled(database.db, system, only.id, true)).rejects.toThrow(/last enabled admin/);

    const dee = await createOperator(database.db, null, { email: "dee@example.test", name: "Dee", role: "viewer", password: "dee-password-123" });
    await changeRole(database.db, system, dee.id, "admin");
    await changeRole(database.db, system, only.id, "operator");
    const entry = await database.db.auditLog.findFirst({ where: { action: "account.role_change", target: only.email } });
    expect(entry?.detail).toEqual({ from: { role: "admin", disabled: false }, to: { role: "operator", disabled: false } });
  });
});
