import { NextResponse, type NextRequest } from "next/server";
import { getToken } from "next-auth/jwt";
import { pageCsp } from "@/server/http/security-headers";

const PUBLIC_PAGES = ["/signin"];

/**
 * Every page gets a Content-Security-Policy with a fresh nonce (Next.js reads it from the request to
 * mark its scripts). Anonymous visitors are sent to sign in early; pages and procedures still check
 * the session themselves.
 */
export async function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const csp = pageCsp(nonce, process.env.NODE_ENV === "development");
  const path = request.nextUrl.pathname;
  const isPublic = PUBLIC_PAGES.some((p) => path === p || path.startsWith(`${p}/`));
  if (!isPublic && !(await getToken({ req: request }))) {
    const signIn = new URL("/signin", request.url);
    signIn.searchParams.set("callbackUrl", path + request.nextUrl.search);
    const redirect = NextResponse.redirect(signIn);
    redirect.headers.set("Content-Security-Policy", csp);
    return redirect;
  }
  const headers = new Headers(request.headers);
  headers.set("Content-Security-Policy", csp);
  // Lets a page that finds the session revoked send the visitor back here after signing in again.
  headers.set("x-encore-path", path + request.nextUrl.search);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = {
  matcher: ["/((?!api/|_next/static|_next/image|favicon.ico|robots.txt).*)"],
};
