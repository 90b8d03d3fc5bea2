import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { changeOwnPassword, createOperator, WrongPasswordError } from "./accounts";
import { authenticate } from "./authenticate";
import { liveSession, startSession } from "./sessions";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("changing one's own password", () => {
  it("needs the current password, ends the operator's other sessions but not this one, and is audited", async () => {
    const dee = await createOperator(database.db, null, { email: "dee@example.test", name: "Dee", role: "viewer", password: "dee-password-123" });
    const other = await createOperator(database.db, null, { email: "eve@example.test", name: "Eve", role: "viewer", password: "eve-password-123" });
    const [here, elsewhere, othersSession] = [
      await startSession(database.db, dee.id, 3600),
      await startSession(database.db, dee.id, 3600),
      await startSession(database.db, other.id, 3600),
    ];
    const actor = { id: dee.id, email: dee.email, ip: "10.9.0.1" };

    await expect(changeOwnPassword(database.db, actor, here, { current: "not-dee-password", next: "dee-new-password-456" })).rejects.toBeInstanceOf(
      WrongPasswordError,
    );
    expect(await liveSession(database.db, elsewhere)).not.toBeNull();
    expect(await database.db.auditLog.count({ where: { action: "account.password_change_refused", actorId: dee.id } })).toBe(1);

    expect(await changeOwnPassword(database.db, actor, here, { current: "dee-password-123", next: "dee-new-password-456" })).toEqual({ otherSessionsEnded: 1 });
    expect(await liveSession(database.db, here)).not.toBeNull();
    expect(await liveSession(database.db, elsewhere)).toBeNull();
    expect(await liveSession(database.db, othersSession)).not.toBeNull();
    expect(await authenticate(database.db, { email: "dee@example.test", password: "dee-password-123", ip: "10.9.0.2" })).toBeNull();
    expect((await authenticate(database.db, { email: "dee@example.test", password: "dee-new-password-456", ip: "10.9.0.2" }))?.id).toBe(dee.id);
    const audit = await database.db.auditLog.findFirstOrThrow({ where: { action: "account.password_change", actorId: dee.id } });
    expect(audit).toMatchObject({ ip: "10.9.0.1", target: "dee@example.test", detail: { otherSessionsEnded: 1 } });
  });
});
