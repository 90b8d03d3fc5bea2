import { BlockList, isIP } from "node:net";

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/**
 * Set by Encore's own HTTP server (server/cli/serve.ts) on every request, after removing whatever a
 * client sent under this name; only read when that server is the one serving.
 */
export const CLIENT_IP_HEADER = "x-encore-client-ip";
export const SERVED_BY_ENCORE = "ENCORE_CLIENT_IP_HEADER";

/** Which proxies in front of Encore may say who the client is (TRUST_PROXY). */
export type TrustProxy = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "list"; list: BlockList; text: string };

const bare = (address: string) => (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

/** One address or CIDR block of a TRUST_PROXY list, added to `list`; false when it is neither. */
function addEntry(list: BlockList, entry: string): boolean {
  const [address = "", prefix, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  if (prefix === undefined) {
    list.addAddress(address, type);
    return true;
  }
  const bits = Number(prefix);
  if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) return false;
  list.addSubnet(address, bits, type);
  return true;
}

/** `""`: trust no proxy; `2`: the two nearest hops are proxies; `10.0.0.0/8, 127.0.0.1`: these addresses are. Throws on anything else. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? "").trim();
  if (text === "" || text === "0") return { kind: "none" };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 20) throw new Error("a hop count from 0 to 20");
    return { kind: "hops", hops };
  }
  const list = new BlockList();
  const bad = text
    .split(",")
    .map((e) => e.trim())
    .filter((e) => !addEntry(list, e));
  if (bad.length) throw new Error(`a number of hops, or addresses and CIDR blocks separated by commas (not ${bad.map((b) => JSON.stringify(b)).join(", ")})`);
  return { kind: "list", list, text };
}

const isTrusted = (list: BlockList, address: string) => {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
};

/**
 * The client's address: the socket's peer unless it is a trusted proxy, then walking
 * X-Forwarded-For from the right (each proxy appends the address it saw) past trusted hops only.
 * Entries left of the first untrusted one were written by the client and are ignored.
 */
export function resolveClientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trust: TrustProxy): string {
  const peer = bare(socketAddress ?? "unknown");
  if (trust.kind === "none") return peer;
  const forwarded = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? ""))
    .split(",")
    .map((a) => bare(a.trim()))
    .filter((a) => a !== "");
  // Nearest first: the peer, then what each proxy appended, right to left.
  const chain = [peer, ...forwarded.reverse()];
  let index = 0;
  if (trust.kind === "hops") index = Math.min(trust.hops, chain.length - 1);
  else while (index < chain.length - 1 && isTrusted(trust.list, chain[index]!)) index++;
  const address = chain[index]!;
  // A proxy passes on what it was sent; only a real address may name a client.
  return isIP(address) ? address : peer;
}

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The caller's address as Encore's server resolved it; "unknown" under any other server (e.g. `next dev`). */
export function clientIp(headers: HeaderBag): string {
  if (process.env[SERVED_BY_ENCORE] !== "1") return "unknown";
  return header(headers, CLIENT_IP_HEADER) || "unknown";
}
