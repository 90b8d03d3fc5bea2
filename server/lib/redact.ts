/** Query parameters whose values are credentials: a telling word anywhere in the name (apitoken, session_id), or a short one at its end (api-key, sig). */
const SECRET_WORD = /token|secret|passw|pwd|session|signature|credential|auth|cookie|jwt|apikey/i;
const SECRET_SUFFIX = /^(?:.*[-_])?(?:key|sig|sid|pass)$/i;

// Up to the last @ before the path: a password may hold an @ of its own.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;
const QUERY_PAIR = /([?&;])([^=&#\s]+)=([^&#\s]*)/g;
/** An Authorization value as a source may echo it back: the scheme stays, the credentials go. */
const AUTH_VALUE = /\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{4,}/gi;

/**
 * Text with credentials taken out of every URL in it: the user and password part
 * (`http://***@host`), the values of secret-looking query parameters (`?token=***`) and
 * Authorization values (`Bearer ***`).
 * For anything shown or stored that may hold a source's, a webhook's or a database's URL.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(USERINFO, "$1***@")
    .replace(QUERY_PAIR, (pair, sep: string, name: string) => (SECRET_WORD.test(name) || SECRET_SUFFIX.test(name) ? `${sep}${name}=***` : pair))
    .replace(AUTH_VALUE, "$1 ***");
}

/** A URL without its credentials, and the Authorization header they stand for (Basic from user:password, else Bearer `token`). */
export function splitCredentials(url: string, token?: string): { url: string; authorization?: string } {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  const basic = user || password ? `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` : undefined;
  return { url: parsed.toString().replace(/\/$/, ""), authorization: token ? `Bearer ${token}` : basic };
}
