const BASE = "http://encore.invalid";

/**
 * Only same-site paths: a sign-in link must never send the visitor to another host. The URL parser
 * normalises first (dot segments, `%2e`, backslashes, tabs and line breaks), then a path that a
 * browser would read as another host (`//host`) is refused.
 */
export function safeCallbackUrl(value: string | undefined | null): string {
  if (!value) return "/";
  try {
    const url = new URL(value, BASE);
    if (url.origin !== BASE || !url.pathname.startsWith("/") || url.pathname.startsWith("//")) return "/";
    return url.pathname.startsWith("/signin") ? "/" : url.pathname + url.search;
  } catch {
    return "/";
  }
}
