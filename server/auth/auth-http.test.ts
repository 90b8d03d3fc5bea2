import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { NextApiRequest, NextApiResponse } from "next";
import NextAuth from "next-auth";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createOperator } from "./accounts";
import { createAuthOptions } from "./options";
import { keepSessionWhileUnavailable } from "./session-route";

// next-auth's own handler over the test's database, behind a real HTTP server. The outage is real:
// the database stops taking connections and its open ones are ended, as when PostgreSQL goes down.

let database: TestDatabase;
let server: http.Server;
let base: string;

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Serves /api/auth/* the way Next.js's pages API does, then through the app route's session wrapper. */
function serve(options: ReturnType<typeof createAuthOptions>) {
  return http.createServer(async (req, res) => {
    const url = new URL(req.url!, base);
    const cookies = Object.fromEntries(
      (req.headers.cookie ?? "")
        .split(/;\s*/)
        .filter(Boolean)
        .map((c) => [c.slice(0, c.indexOf("=")), decodeURIComponent(c.slice(c.indexOf("=") + 1))]),
    );
    const text = await readBody(req);
    const answer = { status: 200, headers: new Headers(), body: "" };
    const apiReq = {
      method: req.method,
      headers: req.headers,
      cookies,
      body: text ? Object.fromEntries(new URLSearchParams(text)) : undefined,
      query: { ...Object.fromEntries(url.searchParams), nextauth: url.pathname.replace("/api/auth/", "").split("/") },
    };
    const apiRes = {
      status(code: number) {
        answer.status = code;
        return apiRes;
      },
      getHeader: (name: string) =>
        answer.headers.getSetCookie().length && name.toLowerCase() === "set-cookie" ? answer.headers.getSetCookie() : (answer.headers.get(name) ?? undefined),
      setHeader(name: string, value: string | string[]) {
        if (name.toLowerCase() === "set-cookie") {
          answer.headers.delete("set-cookie");
          for (const v of [value].flat()) answer.headers.append("set-cookie", v);
        } else answer.headers.set(name, String(value));
        return apiRes;
      },
      send(body: unknown) {
        answer.body = typeof body === "string" ? body : JSON.stringify(body);
      },
      json(body: unknown) {
        answer.headers.set("content-type", "application/json");
        answer.body = JSON.stringify(body);
      },
      end() {},
    };
    await NextAuth(apiReq as unknown as NextApiRequest, apiRes as unknown as NextApiResponse, options);
    const nullBody = answer.status === 302 || answer.status === 204;
    const response = await keepSessionWhileUnavailable(
      new Request(url, { method: req.method }),
      new Response(nullBody ? null : answer.body, { status: answer.status, headers: answer.headers }),
    );
    res.writeHead(
      response.status,
      [...response.headers.entries()]
        .filter(([k]) => k !== "set-cookie")
        .flat()
        .concat(response.headers.getSetCookie().flatMap((c) => ["set-cookie", c])),
    );
    res.end(await response.text());
  });
}

const SESSION_COOKIE = "next-auth.session-token";
const cookieOf = (response: Response, name: string) => response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

async function signIn(email: string, password: string, at = base) {
  const csrf = await fetch(`${at}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = cookieOf(csrf, "next-auth.csrf-token")!.split(";")[0]!;
  return fetch(`${at}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
}

/** The error text next-auth sends the sign-in form. */
const errorText = async (response: Response) => new URL(((await response.json()) as { url: string }).url).searchParams.get("error");

beforeAll(async () => {
  database = await createTestDatabase();
  await createOperator(database.db, null, { email: "ops@example.test", name: "Ops", role: "operator", password: "ops-password-123" });
  server = serve({ ...createAuthOptions(database.db), secret: "outage-test-secret" });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.NEXTAUTH_URL = base;
});
afterAll(async () => {
  await database.setOutage(false);
  await new Promise((resolve) => server.close(resolve));
  await database.drop();
});

describe("a database outage", () => {
  it("keeps the session: /api/auth/session answers 503 without touching the cookie, and the same cookie works once the database is back", async () => {
    const signedIn = await signIn("ops@example.test", "ops-password-123");
    expect(signedIn.status).toBe(200);
    const cookie = cookieOf(signedIn, SESSION_COOKIE)!.split(";")[0]!;
    const before = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
    expect(((await before.json()) as { user?: { email: string } }).user?.email).toBe("ops@example.test");

    await database.setOutage(true);
    const during = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
    // Before the fix: 200 with a Set-Cookie that emptied the session cookie (everyone signed out).
    expect(during.status).toBe(503);
    expect(during.headers.get("retry-after")).toBe("5");
    expect(during.headers.getSetCookie()).toEqual([]);
    expect(await during.json()).toMatchObject({ databaseUnavailable: true });

    // Signing in meanwhile says why it cannot, in words meant for the form.
    expect(await errorText(await signIn("ops@example.test", "ops-password-123"))).toBe("Encore cannot reach its database; try signing in again shortly.");

    await database.setOutage(false);
    const after = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
    expect(after.status).toBe(200);
    const session = (await after.json()) as { user?: { email: string }; databaseUnavailable?: boolean };
    expect(session.user?.email).toBe("ops@example.test");
    expect(session.databaseUnavailable).toBeUndefined();
  });
});

describe("sign-in fields", () => {
  it("refuses an e-mail over 254 characters and a password over 1,024 by name, before any lookup or hashing", async () => {
    // Random, so that PostgreSQL cannot compress it into an index row.
    const long = `${randomBytes(4500).toString("hex")}@example.test`;
    // Before the fix: 401 with Prisma's "index row requires 9032 bytes" in the text for the form.
    const tooLongEmail = await signIn(long, "whatever-password");
    expect(tooLongEmail.status).toBe(401);
    expect(await errorText(tooLongEmail)).toBe("An e-mail address has at most 254 characters.");
    expect(await errorText(await signIn("ops@example.test", "p".repeat(1025)))).toBe("A password has at most 1,024 characters.");
    expect(await database.db.signInAttempt.count({ where: { OR: [{ email: long }, { email: "ops@example.test", succeeded: false }] } })).toBe(0);
    // At the limits the sign-in goes ahead (and is a wrong pair here).
    expect(await errorText(await signIn(`${"b".repeat(241)}@example.test`, "p".repeat(1024)))).toBe("CredentialsSignin");
  });
});

describe("a sign-in that fails inside the server", () => {
  it("shows the form a generic message with an error id, and logs the details under that id", async () => {
    // A real fault of the database behind sign-in: the attempts table is gone.
    const broken = await createTestDatabase();
    await broken.db.$executeRaw`DROP TABLE sign_in_attempts`;
    const other = serve({ ...createAuthOptions(broken.db), secret: "outage-test-secret" });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const response = await signIn("ops@example.test", "ops-password-123", `http://127.0.0.1:${(other.address() as AddressInfo).port}`);
      expect(response.status).toBe(401);
      const text = (await errorText(response))!;
      // Before the fix: Prisma's text ("… relation \"sign_in_attempts\" does not exist") went to the form.
      expect(text).toMatch(/^Something went wrong on the server \(error id [0-9a-f]{12}\); it is in the server's log\.$/);
      const errorId = /error id ([0-9a-f]{12})/.exec(text)![1];
      const entry = logged.mock.calls.find((call) => String(call[0]).includes(`[error ${errorId}]`));
      expect(String(entry?.[1])).toContain("sign_in_attempts");
    } finally {
      logged.mockRestore();
      await new Promise((resolve) => other.close(resolve));
      await broken.drop();
    }
  });
});
