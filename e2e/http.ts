import http from "node:http";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request from a chosen local address (any of 127.0.0.0/8 reaches the server), so a test
 * can be several clients; no redirect is followed.
 */
export function rawRequest(
  url: string,
  { method = "GET", headers = {}, body, localAddress }: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  // A chosen local address is IPv4 loopback; "localhost" may resolve to ::1.
  if (localAddress && target.hostname === "localhost") target.hostname = "127.0.0.1";
  return new Promise((resolve, reject) => {
    const request = http.request(target, { method, headers, localAddress }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

const cookiesOf = (response: RawResponse) => (response.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!);

export interface HttpSignIn {
  /** next-auth's error for a refused sign-in (e.g. "CredentialsSignin" or the throttle's message) */
  error: string | null;
  /** the cookies to send as this client afterwards */
  cookie: string;
}

/** Signs in through next-auth's credentials endpoint over plain HTTP, as a script or a browser would. */
export async function signInOverHttp(
  baseUrl: string,
  email: string,
  password: string,
  { localAddress, headers = {} }: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<HttpSignIn> {
  const csrf = await rawRequest(`${baseUrl}/api/auth/csrf`, { localAddress, headers });
  const csrfCookies = cookiesOf(csrf);
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const answer = await rawRequest(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    localAddress,
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded", cookie: csrfCookies.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }).toString(),
  });
  const { url } = JSON.parse(answer.body) as { url: string };
  const error = new URL(url, baseUrl).searchParams.get("error");
  return { error, cookie: [...csrfCookies, ...cookiesOf(answer)].join("; ") };
}

/** Signs out a cookie's session through next-auth, as the console's button does. */
export async function signOutOverHttp(baseUrl: string, cookie: string): Promise<void> {
  const csrf = await rawRequest(`${baseUrl}/api/auth/csrf`, { headers: { cookie } });
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  await rawRequest(`${baseUrl}/api/auth/signout`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ csrfToken, json: "true" }).toString(),
  });
}

/** The signed-in operator's e-mail per `me.get`, or the HTTP status when not signed in. */
export async function whoAmI(baseUrl: string, cookie: string): Promise<string | number> {
  const response = await rawRequest(`${baseUrl}/api/trpc/me.get`, { headers: { cookie } });
  if (response.status !== 200) return response.status;
  return (JSON.parse(response.body) as { result: { data: { json: { email: string } } } }).result.data.json.email;
}
