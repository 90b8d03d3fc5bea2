import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { changeRole, createOperator, ensureFirstAdmin, setDisabled } from "./accounts";
import { authenticate } from "./authenticate";
import { verifyPassword } from "./password";
import { accountDelaySeconds, ADDRESS_MAX_FAILURES, PAIR_MAX_FAILURES, SignInThrottledError } from "./throttle";

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
});

describe("sign-in throttling", () => {
  const T0 = new Date("2026-11-27T10:00:00Z");
  const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
  const tryOnce = (email: string, password: string, ip: string, now: Date) => authenticate(database.db, { email, password, ip, now });

  it("blocks one account from one address after 5 failures, even with the right password; other addresses still sign in", async () => {
    await createOperator(database.db, null, { email: "cy@example.test", name: "Cy", role: "viewer", password: "cy-password-1234" });
    for (let i = 0; i < PAIR_MAX_FAILURES; i++) expect(await tryOnce("cy@example.test", "wrong", "10.1.0.1", at(i))).toBeNull();
    const blocked = tryOnce("cy@example.test", "cy-password-1234", "10.1.0.1", at(10));
    await expect(blocked).rejects.toBeInstanceOf(SignInThrottledError);
    await expect(blocked).rejects.toThrow(/for this account from your address\. Try again in 15 minutes/);
    expect(await tryOnce("cy@example.test", "cy-password-1234", "10.1.0.2", at(11))).not.toBeNull();
    // The window passes.
    expect(await tryOnce("cy@example.test", "cy-password-1234", "10.1.0.1", at(15 * 60 + 1))).not.toBeNull();
  });

  it("an attacker rotating addresses cannot lock the real user out: their usual address gets in, a new one waits seconds, not minutes", async () => {
    await createOperator(database.db, null, { email: "dana@example.test", name: "Dana", role: "viewer", password: "dana-password-123" });
    expect(await tryOnce("dana@example.test", "dana-password-123", "10.3.0.1", at(0))).not.toBeNull();
    for (let i = 0; i < 14; i++) expect(await tryOnce("dana@example.test", "wrong", `10.4.0.${i}`, at(100 + i * 20))).toBeNull();
    // 14 failures, the latest at 360 s: each try from an address the account never used waits 2^4 = 16 s after it.
    expect(accountDelaySeconds(14)).toBe(16);
    await expect(tryOnce("dana@example.test", "wrong", "10.4.1.1", at(361))).rejects.toThrow(/for this account\. Try again in 15 seconds/);
    await expect(tryOnce("dana@example.test", "dana-password-123", "10.5.0.1", at(366))).rejects.toThrow(/Try again in 10 seconds/);
    expect(await tryOnce("dana@example.test", "dana-password-123", "10.3.0.1", at(366))).not.toBeNull();
    expect(await tryOnce("dana@example.test", "dana-password-123", "10.5.0.1", at(376))).not.toBeNull();
  });

  it("counts concurrent tries one after another: of 40 at once from one address, 5 are checked", async () => {
    await createOperator(database.db, null, { email: "eve@example.test", name: "Eve", role: "viewer", password: "eve-password-1234" });
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => tryOnce("eve@example.test", "wrong", "10.6.0.1", at(0))));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(PAIR_MAX_FAILURES);
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof SignInThrottledError)).toHaveLength(40 - PAIR_MAX_FAILURES);
    expect(await database.db.signInAttempt.count({ where: { email: "eve@example.test" } })).toBe(PAIR_MAX_FAILURES);
  });

  it("blocks an address after 50 failures across accounts", async () => {
    for (let i = 0; i < ADDRESS_MAX_FAILURES; i++) await tryOnce(`guess${i}@example.test`, "wrong", "10.2.0.1", at(i));
    await expect(tryOnce("ann@example.test", "ann-password-123", "10.2.0.1", at(60))).rejects.toThrow(/from your address/);
    expect(await tryOnce("ann@example.test", "ann-password-123", "10.2.0.2", at(60))).not.toBeNull();
  });
});

describe("accounts", () => {
  it("refuses a duplicate e-mail with a clear message", async () => {
    await expect(createOperator(database.db, null, { email: "ANN@example.test", name: "Ann 2", role: "viewer", password: "ann-password-123" })).rejects.toThrow(
      "An account for ann@example.test already exists.",
    );
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
