import { NextResponse, type NextRequest } from "next/server";
import { getToken } from "next-auth/jwt";

// An early redirect for anonymous visitors; pages and procedures still check the session themselves.
export async function proxy(request: NextRequest) {
  const token = await getToken({ req: request });
  if (token) {
    // Lets a page that finds the session revoked send the visitor back here after signing in again.
    const headers = new Headers(request.headers);
    headers.set("x-encore-path", request.nextUrl.pathname + request.nextUrl.search);
    return NextResponse.next({ request: { headers } });
  }
  const signIn = new URL("/signin", request.url);
  signIn.searchParams.set("callbackUrl", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.redirect(signIn);
}

export const config = {
  matcher: ["/((?!api/|_next/|signin|favicon.ico|robots.txt).*)"],
};
