/**
 * `/api/auth/session` while the database cannot be reached: 503 with no Set-Cookie, so the browser
 * keeps its session cookie untouched (next-auth answers 200 with a re-issued one). Other answers pass through.
 */
export async function keepSessionWhileUnavailable(request: Request, response: Response): Promise<Response> {
  if (request.method !== "GET" || !new URL(request.url).pathname.endsWith("/api/auth/session")) return response;
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  if (!(body && typeof body === "object" && "databaseUnavailable" in body && body.databaseUnavailable === true)) return response;
  return Response.json(
    { error: "The database cannot be reached; you are still signed in. Try again shortly.", databaseUnavailable: true },
    { status: 503, headers: { "Cache-Control": "no-store", "Retry-After": "5" } },
  );
}
