import { describe, expect, it } from "vitest";
import { parseEnv } from "../config/env";
import { parseTrustProxy, resolveClientAddress } from "./client-ip";

const resolve = (peer: string, xff: string | undefined, trust: string | undefined) => resolveClientAddress(peer, xff, parseTrustProxy(trust));

describe("the client's address", () => {
  it("is the socket's peer when no proxy is trusted (the default), whatever X-Forwarded-For says", () => {
    expect(resolve("203.0.113.9", "1.2.3.4", undefined)).toBe("203.0.113.9");
    expect(resolve("::ffff:203.0.113.9", "1.2.3.4", "")).toBe("203.0.113.9");
    expect(resolve("10.0.0.2", "1.2.3.4", "0")).toBe("10.0.0.2");
  });

  it("with a hop count, is the address the nearest trusted proxy saw; what the client wrote further left is ignored", () => {
    // The client forged "6.6.6.6"; the one proxy appended the address it saw.
    expect(resolve("10.0.0.2", "6.6.6.6, 198.51.100.4", "1")).toBe("198.51.100.4");
    expect(resolve("10.0.0.3", "6.6.6.6, 198.51.100.4, 10.0.0.2", "2")).toBe("198.51.100.4");
    // More hops trusted than the chain has: the furthest address given.
    expect(resolve("10.0.0.2", "198.51.100.4", "3")).toBe("198.51.100.4");
    expect(resolve("10.0.0.2", undefined, "1")).toBe("10.0.0.2");
  });

  it("with addresses and CIDR blocks, walks right to left past trusted proxies only", () => {
    expect(resolve("10.0.0.2", "6.6.6.6, 198.51.100.4, 10.0.0.7", "10.0.0.0/8")).toBe("198.51.100.4");
    expect(resolve("127.0.0.1", "198.51.100.4", "127.0.0.1, ::1")).toBe("198.51.100.4");
    // A peer that is not a trusted proxy names itself, whatever it forwards.
    expect(resolve("203.0.113.9", "198.51.100.4", "10.0.0.0/8")).toBe("203.0.113.9");
    expect(resolve("::1", "2001:db8::7", "::1/128")).toBe("2001:db8::7");
    // Garbage where an address should be: the peer stands.
    expect(resolve("10.0.0.2", "not-an-address", "10.0.0.0/8")).toBe("10.0.0.2");
  });

  it("TRUST_PROXY and HOSTNAME are validated with the rest of the configuration", () => {
    expect(() => parseEnv({ TRUST_PROXY: "10.0.0.0/33" })).toThrow(/TRUST_PROXY: must be a number of hops, or addresses and CIDR blocks/);
    expect(() => parseEnv({ TRUST_PROXY: "loopback" })).toThrow(/TRUST_PROXY/);
    expect(() => parseEnv({ TRUST_PROXY: "99" })).toThrow(/TRUST_PROXY: must be a hop count from 0 to 20/);
    expect(() => parseEnv({ HOSTNAME: "host name" })).toThrow(/HOSTNAME/);
    expect(parseEnv({ TRUST_PROXY: "10.0.0.0/8, 192.168.1.1", HOSTNAME: "0.0.0.0" })).toMatchObject({
      TRUST_PROXY: "10.0.0.0/8, 192.168.1.1",
      HOSTNAME: "0.0.0.0",
    });
  });
});
