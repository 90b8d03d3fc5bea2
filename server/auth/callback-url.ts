/** Only same-site paths: a sign-in link must never send the visitor to another host. */
export function safeCallbackUrl(value: string | undefined | null): string {
  if (!value) return "/";
  try {
    const url = new URL(value, "http://encore.invalid");
    if (url.origin !== "http://encore.invalid") return "/";
    return url.pathname.startsWith("/signin") ? "/" : url.pathname + url.search;
  } catch {
    return "/";
  }
}
