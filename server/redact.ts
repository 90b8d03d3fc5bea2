/** Query parameters whose values are credentials. */
const SECRET_PARAM = /^(?:.*[-_])?(?:token|access[-_]?token|api[-_]?key|key|secret|password|passwd|pwd|auth|authorization|sig|signature|credentials?)$/i;

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
const QUERY_PAIR = /([?&;])([^=&#\s]+)=([^&#\s]*)/g;

/**
 * Text with credentials taken out of every URL in it: the user and password part
 * (`http://***@host`) and the values of secret-looking query parameters (`?token=***`).
 * For anything shown or stored that may hold a source's, a webhook's or a database's URL.
 */
export function redactSecrets(text: string): string {
  return text.replace(USERINFO, "$1***@").replace(QUERY_PAIR, (pair, sep: string, name: string) => (SECRET_PARAM.test(name) ? `${sep}${name}=***` : pair));
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
